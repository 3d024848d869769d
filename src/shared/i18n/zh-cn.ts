/** 简体中文 (Simplified Chinese). Typed as Dictionary: a missing key does not compile. */
import type { Dictionary } from './en'

export const zhCN: Dictionary = {
  app: {
    tagline: '批量抠图',
    version: '版本 {version}',
  },
  settings: {
    title: '设置',
    language: '语言',
    languageHint: '界面语言。“跟随系统”使用电脑的语言设置。',
    languageSystem: '跟随系统',
    theme: '主题',
    themeHint: '浅色或深色；“跟随系统”使用电脑的外观设置。',
    themeSystem: '跟随系统',
    themeLight: '浅色',
    themeDark: '深色',
    saved: '已保存',
  },
  errors: {
    'internal.unexpected': '出现意外错误：{message}',
    'job.aborted': '未完成即已停止。',
    'ipc.invalid-argument': '应用发出了无效请求：{message}',
    'ipc.forbidden-sender': '已拒绝来自 Koutu 之外的请求。',
    'settings.invalid': '该值未保存：{problem}',
  },
}
