/// <reference lib="dom" />
/**
 * The account screen against the aipic stand-in (test/standins/aipic-server.ts) over the real
 * account service and handler table: SMS login with inline validation and the resend
 * countdown, credits that follow what is spent, history paging with thumbnails, and the ad.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { startAipicStandin, type AipicStandin } from '../standins/aipic-server'
import { startStaticHost, type StaticHost } from '../standins/aipic/static-host'
import { startLitterboxStandin, type FileHostStandin } from '../standins/hosts/litterbox'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { makePhoto, writePhoto } from '../helpers/images'
import { closeUiBrowser, openUi, type UiHarness } from '../helpers/ui-harness'
import { connectUi, dropOnWindow, queueRows, saveScreenshot } from './ui-helpers'

describe('the account screen', () => {
  let standin: AipicStandin | undefined
  let host: StaticHost | undefined
  let litterbox: FileHostStandin | undefined
  let workDir: string | undefined
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  afterEach(async () => {
    await ui?.close()
    await app?.cleanup()
    await standin?.close()
    await host?.close()
    await litterbox?.close()
    if (workDir) await fs.rm(workDir, { recursive: true, force: true })
    litterbox = undefined
    workDir = undefined
    ui = undefined
    app = undefined
    standin = undefined
    host = undefined
  })
  afterAll(closeUiBrowser)

  it('logs in by SMS, shows credits falling as cutouts are spent, pages the history and shows the ad', async () => {
    standin = await startAipicStandin({ fixedCode: '2468', initialUserCredit: 20 })
    host = await startStaticHost()
    const photoUrl = host.put('/photo.jpg', await sharp(await makePhoto('chelsea')).resize(160).jpeg().toBuffer(), 'image/jpeg')
    app = await createTestApp({ settings: { apiBaseUrl: standin.url, engine: 'aipic' } })
    ui = await openUi({ table: app.table, allowedOrigins: [standin.url, host.url] })
    connectUi(app, ui)
    const { page } = ui

    // The ad shows on the main screen while the aipic engine is chosen.
    await expect.poll(() => page.getByTestId('ad-banner').count()).toBe(1)
    await page.getByRole('button', { name: 'Account' }).click()

    // Inline validation before anything is sent.
    const phone = page.getByLabel('Phone number')
    await phone.fill('12345')
    await phone.blur()
    await expect.poll(() => page.getByText('Enter 11 digits starting with 1').count()).toBe(1)
    await page.getByTestId('send-code').click()
    expect(standin.state.smsLog).toEqual([])

    await phone.fill('+86 138-0013-8000')
    await page.getByTestId('send-code').click()
    await expect.poll(() => page.getByTestId('send-code').textContent()).toMatch(/Resend in (59|60) s/)
    expect(await page.getByTestId('send-code').isDisabled()).toBe(true)
    expect(standin.state.smsLog.map((entry) => entry.phone)).toEqual(['13800138000'])

    const code = page.getByLabel('SMS code')
    await code.fill('12')
    await code.blur()
    await expect.poll(() => page.getByText('The code is 4 digits.').count()).toBe(1)
    await code.fill('2468')
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await expect.poll(() => page.getByTestId('account-phone').textContent()).toContain('138****8000')
    await expect.poll(() => page.getByTestId('account-credit').textContent()).toBe('20')

    // Spending credits (as the remote engine does, through the same account service) shows at once.
    for (let i = 0; i < 12; i += 1) await app.handle.account().cutout(photoUrl)
    await expect.poll(() => page.getByTestId('account-credit').textContent()).toBe('8')
    standin.state.users.get('13800138000')!.credit = 7
    await page.getByRole('button', { name: 'Refresh' }).click()
    await expect.poll(() => page.getByTestId('account-credit').textContent()).toBe('7')

    // History (read again when the page opens): 12 cutouts are two pages of 10, with thumbnails
    // of the original and the result.
    await page.getByRole('button', { name: 'Queue' }).click()
    await page.getByRole('button', { name: 'Account' }).click()
    await expect.poll(() => page.getByTestId('history-page').textContent()).toBe('Page 1 of 2')
    expect(await page.getByTestId('history-item').count()).toBe(10)
    await expect
      .poll(() => page.locator('[data-testid=history-item] img').evaluateAll((images) => images.filter((image) => (image as HTMLImageElement).naturalWidth > 0).length))
      .toBe(20)
    await saveScreenshot(page, 'account.png')
    await page.getByRole('button', { name: 'Next' }).click()
    await expect.poll(() => page.getByTestId('history-page').textContent()).toBe('Page 2 of 2')
    expect(await page.getByTestId('history-item').count()).toBe(2)
    await page.getByRole('button', { name: 'Open result' }).first().click()
    expect(app.openedUrls).toHaveLength(1)
    expect(app.openedUrls[0]).toMatch(new RegExp(`^${standin.url}/results/`))

    // The ad can be dismissed.
    await page.getByRole('button', { name: 'Hide this message' }).click()
    expect(await page.getByTestId('ad-banner').count()).toBe(0)

    await page.getByRole('button', { name: 'Log out' }).click()
    await expect.poll(() => page.getByRole('button', { name: 'Log in', exact: true }).count()).toBe(1)
    expect(ui.problems).toEqual([])
  })

  it('shows credits falling as a remote batch runs, after asking for upload consent', { timeout: 180_000 }, async () => {
    standin = await startAipicStandin({ fixedCode: '1234', initialUserCredit: 10, faults: { processingMs: 400 } })
    litterbox = await startLitterboxStandin()
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-remote-'))
    const photos = path.join(workDir, 'photos')
    const names = ['astronaut', 'chelsea', 'coffee', 'rocket'] as const
    for (const name of names) await writePhoto(photos, `${name}.jpg`, name, { megapixels: 0.1 })
    app = await createTestApp({
      settings: {
        apiBaseUrl: standin.url,
        engine: 'aipic',
        uploadHosts: ['litterbox'],
        uploadConsent: [],
        uploadBaseUrls: { litterbox: litterbox.url },
        remoteConcurrency: 1,
      },
    })
    ui = await openUi({ table: app.table, allowedOrigins: [standin.url], droppedFilePaths: { photos } })
    connectUi(app, ui)
    const { page } = ui

    await page.getByRole('button', { name: 'Account' }).click()
    await page.getByLabel('Phone number').fill('13900139000')
    await page.getByTestId('send-code').click()
    await expect.poll(() => page.getByTestId('send-code').isDisabled()).toBe(true)
    await page.getByLabel('SMS code').fill(standin.lastCode('13900139000'))
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await expect.poll(() => page.getByTestId('account-credit').textContent()).toBe('10')

    await page.getByRole('button', { name: 'Queue' }).click()
    await dropOnWindow(page, ['photos'])
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(4)
    await expect.poll(() => page.getByTestId('cost-line').textContent()).toBe('Needs 4 credits · 10 left')

    // No photo leaves the machine before the host is allowed; the refusal offers to allow it.
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => page.getByTestId('queue-error').textContent()).toContain('not allowed yet')
    expect(litterbox.uploads).toEqual([])
    await page.getByRole('button', { name: 'Allow Litterbox (catbox.moe) and go on' }).click()

    // The sidebar's credit count falls file by file while the batch runs.
    const seen = new Set<string>()
    await expect
      .poll(
        async () => {
          const credit = (await page.getByTestId('sidebar-credit').textContent()) ?? ''
          const state = await page.getByTestId('progress-summary').getAttribute('data-state')
          if (state === 'running') seen.add(credit)
          return state
        },
        { timeout: 120_000, interval: 50 },
      )
      .toBe('finished')
    expect(await page.getByTestId('sidebar-credit').textContent()).toBe('6 credits')
    const during = [...seen].map((text) => Number.parseInt(text, 10)).filter((credit) => credit < 10 && credit > 6)
    expect(during.length).toBeGreaterThan(0)
    expect(await queueRows(page)).toMatchObject(names.map((name) => ({ name: `${name}.jpg`, status: 'done' })))
    for (const name of names) expect((await sharp(path.join(photos, `${name}-cutout.png`)).metadata()).hasAlpha).toBe(true)
    expect(litterbox.uploads).toHaveLength(4)
    expect(standin.state.users.get('13900139000')!.credit).toBe(6)
    expect(app.settingsOnDisk().uploadConsent).toEqual(['litterbox'])
    expect(ui.problems).toEqual([])
  })

  it('hides an ad whose data is not an image URL and an http(s) link, and any ad with the local engine', async () => {
    standin = await startAipicStandin()
    standin.state.ad = { id: 1, pic_url: 'pic_url', link_url: 'link_url', created_at: '2020-08-25 17:56:10', updated_at: '2020-08-25 17:56:10' }
    app = await createTestApp({ settings: { apiBaseUrl: standin.url, engine: 'aipic' } })
    ui = await openUi({ table: app.table, allowedOrigins: [standin.url] })
    const { page } = ui
    await expect.poll(() => ui!.calls.includes('getAd')).toBe(true)
    await page.getByTestId('drop-zone').waitFor()
    expect(await page.getByTestId('ad-banner').count()).toBe(0)

    // A valid ad, but the local engine: still no banner.
    const now = '2020-08-25 17:56:10'
    standin.state.ad = { id: 2, pic_url: `${standin.url}/ad.png`, link_url: `${standin.url}/ad`, created_at: now, updated_at: now }
    app.services.settings.set('engine', 'local')
    await ui.reload()
    await page.getByTestId('drop-zone').waitFor()
    expect(await page.getByTestId('ad-banner').count()).toBe(0)
    // With the local engine aipic is not even asked.
    expect(ui.calls.filter((name) => name === 'getAd')).toHaveLength(1)
    // Choosing aipic fetches the (now valid) ad and shows it.
    await page.getByRole('button', { name: 'Settings' }).click()
    await page.getByLabel('Engine', { exact: true }).selectOption('aipic')
    await page.getByRole('button', { name: 'Queue' }).click()
    await expect.poll(() => page.getByTestId('ad-banner').count()).toBe(1)
    expect(ui.problems).toEqual([])
  })
})
