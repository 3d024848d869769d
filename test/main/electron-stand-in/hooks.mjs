// ESM resolve hook: `import … from "electron"` gets the stand-in (see electron.cjs).
let standInUrl = ''
export function initialize(data) {
  standInUrl = data.standInUrl
}
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: standInUrl, format: 'commonjs', shortCircuit: true }
  return next(specifier, context)
}
