/**
 * Where Koutu keeps its files, computed without Electron so the command line agrees with the
 * app. Mirrors Electron's `app.getPath('userData')` (appData + product name) on each platform.
 */
import os from 'node:os'
import path from 'node:path'

export const PRODUCT_NAME = 'Koutu'

/** Electron's `appData` folder for this platform. */
export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming')
  if (platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support')
  return env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config')
}

/** The user data folder; `KOUTU_USER_DATA` overrides it (tests, portable installs). */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return env.KOUTU_USER_DATA ?? path.join(appDataDir(env, platform), PRODUCT_NAME)
}

/** The files and folders inside the user data folder, named once. */
export function userDataLayout(userDataDir: string) {
  return {
    settingsFile: path.join(userDataDir, 'settings.json'),
    journalDir: path.join(userDataDir, 'journal'),
    logsDir: path.join(userDataDir, 'logs'),
    cliAccountFile: path.join(userDataDir, 'cli-account.json'),
    thumbnailCacheDir: path.join(userDataDir, 'thumbnails'),
    /** What each device's probe concluded (engine/local/verdicts.ts). */
    deviceVerdictsFile: path.join(userDataDir, 'device-verdicts.json'),
    /** Models built on this machine: the fp32 twin (engine/local/fp32-twin.ts). */
    modelCacheDir: path.join(userDataDir, 'models'),
  }
}
