/**
 * The settings schema: one zod object per key, with defaults. The main process stores settings
 * with electron-store (the command line with its own JSON file) and validates every read and
 * every write against this schema; the renderer only sees the parsed `Settings`.
 *
 * [Note: settings migrations] `SETTINGS_VERSION` is stored next to the values. When a change to
 * a key's shape needs a migration, bump it and add a step in src/main/settings/migrations.ts.
 * A key whose stored value no longer parses falls back to its default with a warning.
 */
import { z } from 'zod'
import { UPDATE_MODES } from './updates'

export const SETTINGS_VERSION = 1

export const ENGINE_KINDS = ['local', 'aipic'] as const
export type EngineKind = (typeof ENGINE_KINDS)[number]

export const LOCAL_MODEL_IDS = ['isnet-medium', 'isnet-small', 'custom'] as const
export type LocalModelId = (typeof LOCAL_MODEL_IDS)[number]

/** Where the local engine runs its model: see docs/gpu.md. */
export const LOCAL_DEVICES = ['auto', 'gpu', 'cpu'] as const
export type LocalDevice = (typeof LOCAL_DEVICES)[number]

export const UPLOAD_HOST_IDS = ['litterbox', 'uguu', 'tmpfiles', 's3'] as const
export type UploadHostId = (typeof UPLOAD_HOST_IDS)[number]

export const CONFLICT_POLICIES = ['skip', 'overwrite', 'keep-both'] as const
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number]

export const OUTPUT_FORMATS = ['png', 'webp'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #ffffff')
const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'an http(s) URL')

/** A suffix is a plain file-name fragment: no separators, no characters Windows forbids. */
const outputSuffix = z
  .string()
  .max(64)
  .refine(
    (value) => !/[\\/:*?"<>|]/.test(value) && ![...value].some((char) => char.charCodeAt(0) < 32),
    'no path separators or reserved characters',
  )

export const customModelSchema = z.object({
  /** Absolute path of an .onnx file the user picked. */
  path: z.string().min(1).max(4096),
  /** Square input edge the model expects, e.g. 320 (u2net) or 1024 (isnet, birefnet). */
  inputSize: z.number().int().min(64).max(4096),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  /** Sigmoid the output first (models that emit logits, such as BiRefNet). */
  applySigmoid: z.boolean(),
})
export type CustomModel = z.infer<typeof customModelSchema>

export const settingsSchema = z.object({
  language: z.enum(['system', 'en', 'zh-CN']).default('system'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  engine: z.enum(ENGINE_KINDS).default('local'),
  localModel: z.enum(LOCAL_MODEL_IDS).default('isnet-medium'),
  customModel: customModelSchema.nullable().default(null),
  /** Automatic: a GPU that proved itself faster than the CPU, else the CPU. */
  localDevice: z.enum(LOCAL_DEVICES).default('auto'),

  outputSuffix: outputSuffix.default('-cutout'),
  outputFormat: z.enum(OUTPUT_FORMATS).default('png'),
  /** null: transparent; otherwise the colour painted behind the subject. */
  backgroundColor: hexColor.nullable().default(null),
  maskOnly: z.boolean().default(false),
  /** null: keep the full frame; otherwise crop to the subject with this margin in pixels. */
  cropMargin: z.number().int().min(0).max(2000).nullable().default(null),
  decontaminateEdges: z.boolean().default(true),
  /** null: write next to each original; otherwise mirror the input tree under this folder. */
  outputRoot: z.string().min(1).max(4096).nullable().default(null),
  onConflict: z.enum(CONFLICT_POLICIES).default('skip'),
  recursive: z.boolean().default(true),
  /** 0 means "choose for this machine". */
  localConcurrency: z.number().int().min(0).max(16).default(0),
  remoteConcurrency: z.number().int().min(1).max(16).default(4),
  /** Images above this many megapixels are refused with a clear error. */
  maxMegapixels: z.number().min(1).max(1000).default(100),

  uploadHosts: z.array(z.enum(UPLOAD_HOST_IDS)).min(1).max(4).default(['litterbox', 'uguu', 'tmpfiles']),
  /** Hosts the user has agreed to send photos to (see the consent dialog). */
  uploadConsent: z.array(z.enum(UPLOAD_HOST_IDS)).default([]),
  uploadBaseUrls: z.partialRecord(z.enum(UPLOAD_HOST_IDS), httpUrl).default({}),
  litterboxExpiry: z.enum(['1h', '12h', '24h', '72h']).default('1h'),
  s3: z
    .object({
      endpoint: httpUrl,
      region: z.string().min(1).max(64),
      bucket: z.string().min(1).max(63),
      prefix: z.string().max(128),
      /** The short public URL the API fetches: `{key}` is replaced by the object key. */
      publicUrlTemplate: z.string().max(256).includes('{key}'),
    })
    .nullable()
    .default(null),
  uploadMaxMegapixels: z.number().min(1).max(200).default(25),
  fullResolutionOutput: z.boolean().default(true),

  proxyMode: z.enum(['system', 'none', 'manual']).default('system'),
  proxyUrl: z.union([z.literal(''), httpUrl]).default(''),
  apiBaseUrl: httpUrl.default('https://aipic.lufff.com'),
  /** Ask before a remote batch that would spend more than this many credits. */
  costConfirmThreshold: z.number().int().min(0).max(100000).default(50),
  lowCreditThreshold: z.number().int().min(0).max(100000).default(5),

  /** Farm mode (docs/farm.md): the queue's Redis, without its password (kept encrypted apart); '' for none. */
  farmRedisUrl: z
    .union([
      z.literal(''),
      z
        .string()
        .max(2048)
        .regex(/^rediss?:\/\/[^\s]+$/)
        .refine((value) => URL.canParse(value) && new URL(value).password === '', 'no password in the URL: it is stored apart, encrypted'),
    ])
    .default(''),
  farmQueue: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('farm'),
  /** App updates: see [Note: update policy] in src/main/updates/update-controller.ts. */
  updateMode: z.enum(UPDATE_MODES).default('auto'),
})

export type Settings = z.infer<typeof settingsSchema>
export type SettingKey = keyof Settings

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({})
