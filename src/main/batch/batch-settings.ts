/**
 * The settings a batch is frozen with (recorded in its journal so a resume writes the same
 * outputs), and the engine's output options derived from them.
 */
import path from 'node:path'
import type { BatchSettingsSnapshot } from '../../shared/batch'
import type { Settings } from '../../shared/settings'
import type { OutputOptions } from '../engine/types'

/** The settings a new batch runs with. */
export function snapshotSettings(settings: Settings): BatchSettingsSnapshot {
  return {
    engine: settings.engine,
    localModel: settings.localModel,
    customModel: settings.customModel,
    localDevice: settings.localDevice,
    outputSuffix: settings.outputSuffix,
    outputFormat: settings.outputFormat,
    outputRoot: settings.outputRoot === null ? null : path.resolve(settings.outputRoot),
    onConflict: settings.onConflict,
    recursive: settings.recursive,
    backgroundColor: settings.backgroundColor,
    maskOnly: settings.maskOnly,
    cropMargin: settings.cropMargin,
    decontaminateEdges: settings.decontaminateEdges,
    maxMegapixels: settings.maxMegapixels,
  }
}

/** What the engine is asked to produce for every file of the batch. */
export function outputOptionsOf(snapshot: BatchSettingsSnapshot): OutputOptions {
  return {
    format: snapshot.outputFormat,
    backgroundColor: snapshot.backgroundColor,
    maskOnly: snapshot.maskOnly,
    cropMargin: snapshot.cropMargin,
    decontaminateEdges: snapshot.decontaminateEdges,
    maxMegapixels: snapshot.maxMegapixels,
  }
}
