/// <reference lib="dom" />
/**
 * Small helpers the UI tests share on top of the harness: wiring main's events to the page,
 * dropping files through the page's own drop handler, and saving checked screenshots.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, afterEach, expect } from 'vitest'
import type { TestApp } from '../helpers/app-services'
import { closeUiBrowser, type UiHarness } from '../helpers/ui-harness'

/**
 * The README's screenshots are refreshed only when asked (KOUTU_UPDATE_SCREENSHOTS=1): a plain
 * test run must not leave the working tree changed. Otherwise they go to a scratch folder, where
 * they are still taken and checked.
 */
export const SCREENSHOT_DIR =
  process.env.KOUTU_UPDATE_SCREENSHOTS === '1'
    ? path.resolve(import.meta.dirname, '../../docs/screenshots')
    : path.join(os.tmpdir(), 'koutu-ui-screenshots')

/** Sends main's events to the page, in order, as webContents.send does in the app. */
export function connectUi(app: TestApp, ui: UiHarness): void {
  let chain = Promise.resolve()
  app.forwardEvents((name, payload) => {
    chain = chain
      .then(() => ui.emit(name, payload))
      .catch((error: unknown) => {
        // A page closed at the end of a test, or navigating (a reload), takes no events, as a
        // real window would not; any other failure (a payload the bridge cannot copy, a listener
        // that throws) is a problem the test must see, not swallow.
        const message = error instanceof Error ? error.message : String(error)
        if (ui.page.isClosed() || /Execution context was destroyed|Target page, context or browser has been closed/.test(message)) return
        ui.problems.push(`event ${name}: ${message}`)
      })
  })
}

/**
 * Drops files named `names` on the window. The page's drop handler asks the preload for their
 * paths (the harness maps names to paths, as webUtils.getPathForFile does) and calls addPaths.
 */
export async function dropOnWindow(page: Page, names: string[]): Promise<void> {
  await page.evaluate((fileNames) => {
    const transfer = new DataTransfer()
    for (const name of fileNames) transfer.items.add(new File([''], name))
    for (const type of ['dragenter', 'dragover', 'drop']) {
      document.body.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }))
    }
  }, names)
}

/** Saves a screenshot to SCREENSHOT_DIR after checking it is not blank. */
export async function saveScreenshot(page: Page, fileName: string): Promise<void> {
  // Let thumbnails and transitions settle.
  await page.waitForTimeout(300)
  const png = await page.screenshot()
  const stats = await sharp(png).stats()
  expect(Math.max(...stats.channels.slice(0, 3).map((channel) => channel.stdev))).toBeGreaterThan(5)
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true })
  await fs.writeFile(path.join(SCREENSHOT_DIR, fileName), png)
}

/** The queue rows as the page shows them: name, status and the reason shown, in order. */
export async function queueRows(page: Page): Promise<Array<{ name: string; status: string; reason: string }>> {
  return page.getByTestId('queue-row').evaluateAll((rows) =>
    rows.map((row) => ({
      name: row.querySelector('.name')?.textContent ?? '',
      status: row.getAttribute('data-status') ?? '',
      reason: row.querySelector('[data-testid=item-reason]')?.textContent ?? '',
    })),
  )
}

/** What one UI test opens: the app's services, its page, and a scratch folder. */
export interface UiTestParts {
  app?: TestApp | undefined
  ui?: UiHarness | undefined
  workDir?: string | undefined
}

/**
 * Closes what each test opened (page, services, scratch folder) after it, then `forget`s them,
 * and the shared browser after the file. Call inside describe().
 */
export function closeAfterEachUiTest(current: () => UiTestParts, forget: () => void): void {
  afterEach(async () => {
    const { app, ui, workDir } = current()
    await ui?.close()
    await app?.cleanup()
    if (workDir) await fs.rm(workDir, { recursive: true, force: true })
    forget()
  })
  afterAll(closeUiBrowser)
}
