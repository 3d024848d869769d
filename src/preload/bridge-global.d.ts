// The shape of `window.koutu` as the renderer sees it.
import type { KoutuBridge, KoutuPreloadExtras } from '../shared/bridge'

declare global {
  interface Window {
    koutu: KoutuBridge & KoutuPreloadExtras
  }
}

export {}
