/**
 * Makes every icon in resources/ from the SVG artwork below, with sharp, so the icons can be
 * regenerated (and checked) instead of being opaque binaries: `npm run icons`.
 *
 *   resources/icon.png            1024, the app icon (electron-builder derives macOS .icns and
 *                                 the Linux icon set from it)
 *   resources/icon-512.png        512, the window icon on Linux
 *   resources/icon.ico            16…256, the Windows app and installer icon
 *   resources/tray/trayTemplate.png, trayTemplate@2x.png
 *                                 16/32, macOS menu bar template images (black + alpha only)
 *   resources/tray/tray.png       32, the Linux tray icon
 *   resources/tray/tray.ico       16…64, the Windows notification-area icon at every display scale
 *
 * The output is byte-for-byte reproducible with the pinned sharp; test/packaging/icons.test.ts
 * regenerates into a temporary folder and compares.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import { encodeIco } from './ico'

/** The app icon: a cut-out subject on a transparency checkerboard, inside crop marks. */
export function appIconSvg(size: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 1024" width="${size}" height="${size}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#0ea5a4"/>
      <stop offset="1" stop-color="#4338ca"/>
    </linearGradient>
    <pattern id="checks" x="282" y="282" width="92" height="92" patternUnits="userSpaceOnUse">
      <rect width="92" height="92" fill="#ffffff"/>
      <rect width="46" height="46" fill="#d5deea"/>
      <rect x="46" y="46" width="46" height="46" fill="#d5deea"/>
    </pattern>
    <clipPath id="card"><rect x="282" y="282" width="460" height="460" rx="56"/></clipPath>
  </defs>
  <rect x="100" y="100" width="824" height="824" rx="185" fill="url(#bg)"/>
  <rect x="282" y="282" width="460" height="460" rx="56" fill="url(#checks)"/>
  <g clip-path="url(#card)" fill="#1e1b4b">
    <circle cx="512" cy="458" r="96"/>
    <path d="M322 760 C322 626 410 582 512 582 C614 582 702 626 702 760 Z"/>
  </g>
  <path d="M206 330 V206 H330 M694 206 H818 V330 M818 694 V818 H694 M330 818 H206 V694"
        fill="none" stroke="#ffffff" stroke-width="44" stroke-linecap="round" stroke-linejoin="round"/>
</svg>`
}

/**
 * The tray glyph on a 16-unit grid: crop marks around a subject, black on transparent. The
 * strokes sit on half units so they land on whole pixels at 16 and 32 px.
 */
export function trayTemplateSvg(size: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="${size}" height="${size}">
  <path d="M1.5 5 V1.5 H5 M11 1.5 H14.5 V5 M14.5 11 V14.5 H11 M5 14.5 H1.5 V11" fill="none" stroke="#000000" stroke-width="1"/>
  <circle cx="8" cy="6.4" r="2.2" fill="#000000"/>
  <path d="M4 13 C4 10.6 5.7 9.6 8 9.6 C10.3 9.6 12 10.6 12 13 Z" fill="#000000"/>
</svg>`
}

/** The coloured tray icon (Windows, Linux): the app's colours, so it reads on light and dark bars. */
export function trayColorSvg(size: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="${size}" height="${size}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#0ea5a4"/>
      <stop offset="1" stop-color="#4338ca"/>
    </linearGradient>
  </defs>
  <rect x="0.5" y="0.5" width="15" height="15" rx="3.5" fill="url(#bg)"/>
  <circle cx="8" cy="6.3" r="2.5" fill="#ffffff"/>
  <path d="M3.4 13.6 C3.4 10.9 5.4 9.7 8 9.7 C10.6 9.7 12.6 10.9 12.6 13.6 Z" fill="#ffffff"/>
</svg>`
}

const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
const TRAY_ICO_SIZES = [16, 20, 24, 32, 40, 48, 64]

async function renderPng(svg: string): Promise<Buffer> {
  // Fixed encoder settings: the same sharp gives the same bytes, which the icons test relies on.
  return sharp(Buffer.from(svg)).png({ compressionLevel: 9, adaptiveFiltering: false, palette: false }).toBuffer()
}

async function renderRgba(svg: string): Promise<Uint8Array> {
  const { data } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return new Uint8Array(data.buffer, data.byteOffset, data.length)
}

/** A template image keeps only the shape: black where drawn, the alpha carrying the edges. */
async function renderTemplatePng(svg: string, size: number): Promise<Buffer> {
  const alpha = await sharp(Buffer.from(svg)).ensureAlpha().extractChannel('alpha').raw().toBuffer()
  return sharp({ create: { width: size, height: size, channels: 3, background: '#000000' } })
    .joinChannel(alpha, { raw: { width: size, height: size, channels: 1 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer()
}

async function makeIco(sizes: readonly number[], svgFor: (size: number) => string): Promise<Buffer> {
  const images = []
  for (const size of sizes) {
    const svg = svgFor(size)
    images.push({ size, rgba: await renderRgba(svg), png: size === 256 ? await renderPng(svg) : undefined })
  }
  return encodeIco(images)
}

/** Every file this script writes, relative to the output folder. */
export const ICON_FILES = [
  'icon.png',
  'icon-512.png',
  'icon.ico',
  'tray/trayTemplate.png',
  'tray/trayTemplate@2x.png',
  'tray/tray.png',
  'tray/tray.ico',
] as const

/** Renders every icon into `outDir` (resources/ by default). */
export async function makeIcons(outDir: string): Promise<string[]> {
  const outputs: Record<(typeof ICON_FILES)[number], () => Promise<Buffer>> = {
    'icon.png': () => renderPng(appIconSvg(1024)),
    'icon-512.png': () => renderPng(appIconSvg(512)),
    'icon.ico': () => makeIco(APP_ICO_SIZES, appIconSvg),
    'tray/trayTemplate.png': () => renderTemplatePng(trayTemplateSvg(16), 16),
    'tray/trayTemplate@2x.png': () => renderTemplatePng(trayTemplateSvg(32), 32),
    'tray/tray.png': () => renderPng(trayColorSvg(32)),
    'tray/tray.ico': () => makeIco(TRAY_ICO_SIZES, trayColorSvg),
  }
  const written: string[] = []
  for (const file of ICON_FILES) {
    const target = path.join(outDir, file)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, await outputs[file]())
    written.push(target)
  }
  return written
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..', 'resources'))
  makeIcons(outDir)
    .then((files) => {
      for (const file of files) process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`)
    })
    .catch((error: unknown) => {
      process.stderr.write(`make-icons failed: ${String(error)}\n`)
      process.exitCode = 1
    })
}
