// ESLint: TypeScript and Svelte rules, plus the architectural rule that only the glue files
// import Electron (see [Note: electron glue] in src/main/index.ts).
import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const ELECTRON_GLUE = [
  'src/main/index.ts',
  'src/main/window.ts',
  'src/main/electron-services.ts',
  'src/main/tray.ts',
  'src/main/desktop-integration.ts',
  'src/main/updater.ts',
  'src/preload/index.ts',
]

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'bench/.scratch/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // CommonJS on purpose (the electron stand-in is loaded by require() as well as import).
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/renderer/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/**/*.{ts,svelte}'],
    ignores: ELECTRON_GLUE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Only the glue files listed in src/main/index.ts may import electron.' },
            { name: 'electron-store', message: 'electron-store imports electron: use it from src/main/electron-services.ts.' },
            { name: 'electron-log', message: 'electron-log imports electron: inject a Logger instead.' },
            { name: 'electron-log/main', message: 'electron-log imports electron: inject a Logger instead.' },
            { name: 'electron-updater', message: 'electron-updater imports electron: use it from src/main/updater.ts.' },
          ],
        },
      ],
    },
  },
)
