/**
 * A Windows .ico writer for scripts/make-icons.ts. Sizes below 256 are stored as 32-bit BGRA
 * bitmaps (with the 1-bit AND mask), which every Windows tool reads, NSIS and rcedit included;
 * 256 is stored as PNG, as Windows Vista and later expect. Written here because it is a few
 * dozen lines of a stable format, and the npm packages for it are unmaintained.
 */

/** One image to store: its edge and its pixels as straight (not premultiplied) RGBA. */
export interface IcoImage {
  size: number
  rgba: Uint8Array
  /** The same image as PNG; used for 256 (stored as is) and ignored below. */
  png?: Uint8Array
}

const HEADER_BYTES = 6
const ENTRY_BYTES = 16
const BITMAP_INFO_BYTES = 40

function bitmapEntry(size: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== size * size * 4) throw new Error(`expected ${size}x${size} RGBA pixels, got ${rgba.length} bytes`)
  const maskRowBytes = Math.ceil(size / 32) * 4
  const pixelBytes = size * size * 4
  const maskBytes = maskRowBytes * size
  const out = Buffer.alloc(BITMAP_INFO_BYTES + pixelBytes + maskBytes)
  out.writeUInt32LE(BITMAP_INFO_BYTES, 0)
  out.writeInt32LE(size, 4)
  // The height covers the colour rows and the mask rows together.
  out.writeInt32LE(size * 2, 8)
  out.writeUInt16LE(1, 12)
  out.writeUInt16LE(32, 14)
  out.writeUInt32LE(0, 16)
  out.writeUInt32LE(pixelBytes + maskBytes, 20)
  for (let y = 0; y < size; y += 1) {
    // Bitmaps are stored bottom-up.
    const row = size - 1 - y
    for (let x = 0; x < size; x += 1) {
      const from = (y * size + x) * 4
      const to = BITMAP_INFO_BYTES + (row * size + x) * 4
      out[to] = rgba[from + 2]!
      out[to + 1] = rgba[from + 1]!
      out[to + 2] = rgba[from]!
      out[to + 3] = rgba[from + 3]!
      if (rgba[from + 3] === 0) {
        const maskByte = BITMAP_INFO_BYTES + pixelBytes + row * maskRowBytes + (x >> 3)
        out[maskByte] = out[maskByte]! | (0x80 >> (x & 7))
      }
    }
  }
  return out
}

/** Encodes the images (largest last is customary, not required) into one .ico file. */
export function encodeIco(images: readonly IcoImage[]): Buffer {
  const payloads = images.map((image) => {
    if (image.size < 1 || image.size > 256) throw new Error(`an icon edge must be 1..256, not ${image.size}`)
    if (image.size === 256) {
      if (!image.png) throw new Error('the 256 image needs its PNG')
      return Buffer.from(image.png)
    }
    return bitmapEntry(image.size, image.rgba)
  })
  const header = Buffer.alloc(HEADER_BYTES + ENTRY_BYTES * images.length)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach((image, index) => {
    const entry = HEADER_BYTES + index * ENTRY_BYTES
    // 0 stands for 256 in the one-byte width and height.
    header.writeUInt8(image.size % 256, entry)
    header.writeUInt8(image.size % 256, entry + 1)
    header.writeUInt8(0, entry + 2)
    header.writeUInt8(0, entry + 3)
    header.writeUInt16LE(1, entry + 4)
    header.writeUInt16LE(32, entry + 6)
    header.writeUInt32LE(payloads[index]!.length, entry + 8)
    header.writeUInt32LE(offset, entry + 12)
    offset += payloads[index]!.length
  })
  return Buffer.concat([header, ...payloads])
}

export interface IcoDirectoryEntry {
  size: number
  bitCount: number
  format: 'png' | 'bmp'
  data: Buffer
}

/** Reads an .ico's directory back (the packaging test checks the committed files with it). */
export function readIcoDirectory(ico: Buffer): IcoDirectoryEntry[] {
  if (ico.readUInt16LE(0) !== 0 || ico.readUInt16LE(2) !== 1) throw new Error('not an .ico file')
  const count = ico.readUInt16LE(4)
  const entries: IcoDirectoryEntry[] = []
  for (let index = 0; index < count; index += 1) {
    const entry = HEADER_BYTES + index * ENTRY_BYTES
    const length = ico.readUInt32LE(entry + 8)
    const offset = ico.readUInt32LE(entry + 12)
    if (offset + length > ico.length) throw new Error(`icon ${index} runs past the end of the file`)
    const data = ico.subarray(offset, offset + length)
    entries.push({
      size: ico.readUInt8(entry) || 256,
      bitCount: ico.readUInt16LE(entry + 6),
      format: data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ? 'png' : 'bmp',
      data,
    })
  }
  return entries
}
