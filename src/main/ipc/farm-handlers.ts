/**
 * Bridge handlers for farm mode: the Farm view's status, sending dropped folders to the farm,
 * retrying its failures, this app as a worker, and Settings → Farm's connection. The password
 * goes into main's secret vault and never comes back; the renderer sees whether one is stored.
 */
import { z } from 'zod'
import type { FarmService } from '../farm/farm-service'
import type { HandlerSlice } from './handler-types'

export interface FarmServices {
  farm: FarmService
}

type FarmMethods = 'getFarmState' | 'setFarmConnection' | 'sendToFarm' | 'retryFarmFailed' | 'setFarmWorking'

/** Paths a drop may send at once (as for addPaths, the renderer may only name paths to read). */
const MAX_PATHS = 10_000

export function createFarmHandlers(services: FarmServices): HandlerSlice<FarmMethods> {
  const { farm } = services
  return {
    getFarmState: { args: z.tuple([]), run: () => farm.state() },
    setFarmConnection: {
      args: z.tuple([z.string().max(2048), z.string().max(1024).nullable()]),
      run: (url, password) => farm.setConnection(url, password),
    },
    sendToFarm: {
      args: z.tuple([z.array(z.string().min(1).max(8192)).min(1).max(MAX_PATHS)]),
      run: (paths) => farm.send(paths),
    },
    retryFarmFailed: { args: z.tuple([]), run: async () => ({ retried: await farm.retryFailed() }) },
    setFarmWorking: { args: z.tuple([z.boolean()]), run: (on) => farm.setWorking(on) },
  }
}
