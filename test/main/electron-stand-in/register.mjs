// Loaded with `node --import` before the main bundle: routes both `import "electron"` and
// `require("electron")` to the stand-in.
import Module, { register } from 'node:module'
import { fileURLToPath } from 'node:url'

const standInUrl = new URL('./electron.cjs', import.meta.url).href
const standInPath = fileURLToPath(standInUrl)
register('./hooks.mjs', import.meta.url, { data: { standInUrl } })
const resolveFilename = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? standInPath : resolveFilename.call(this, request, ...rest)
}
