/**
 * What the services need from the desktop (system dialogs, the file manager). The app's glue
 * implements it with Electron's dialog and shell; tests and the command line supply their own.
 * Keeping dialogs behind this interface is also what keeps write paths out of the renderer's
 * hands: folders to write to are chosen here, in main.
 */
export interface DesktopShell {
  /** Folder picker; several folders allowed when `multiple`. Resolves [] when cancelled. */
  chooseFolders(options: { multiple: boolean; titleKey: 'addFolders' | 'outputRoot' }): Promise<string[]>
  /** File picker for images (or, with `onnx`, a model file). Resolves [] when cancelled. */
  chooseFiles(options: { multiple: boolean; filter: 'images' | 'onnx' }): Promise<string[]>
  /** Reveals a file in the system file manager. */
  showItemInFolder(filePath: string): void
  /** Opens a folder in the system file manager. */
  openFolder(folderPath: string): Promise<void>
  /** Opens an http(s) URL in the system browser. */
  openExternal(url: string): Promise<void>
}
