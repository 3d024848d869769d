/** Bridge handlers for the local engine's device: what runs, the test verdicts, "Test again". */
import { z } from 'zod'
import type { DeviceStatusService } from '../device-status-service'
import type { HandlerSlice } from './handler-types'

export interface DeviceServices {
  devices: DeviceStatusService
}

export function createDeviceHandlers(services: DeviceServices): HandlerSlice<'getDeviceStatus' | 'testDevicesAgain'> {
  return {
    getDeviceStatus: { args: z.tuple([]), run: () => services.devices.status() },
    testDevicesAgain: { args: z.tuple([]), run: () => services.devices.testAgain() },
  }
}
