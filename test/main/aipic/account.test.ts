/**
 * The account service against the stand-in over real HTTP: login and the code cooldown, device
 * mode, credits, history, the session across restarts with each vault, the token kept out of the
 * state, events, logs and the settings file, and the account state after each fault.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AccountService, TOKEN_SECRET_NAME } from '../../../src/main/aipic/account'
import { EncryptedStoreVault, MemoryVault, type SecretVault, type StringCipher } from '../../../src/main/aipic/secret-vault'
import type { KeyValueStore } from '../../../src/main/settings/key-value-store'
import { JsonFileStore } from '../../../src/main/settings/json-file-store'
import type { AccountState } from '../../../src/shared/account'
import type { KoutuError } from '../../../src/shared/errors'
import { silentLogger } from '../../../src/shared/logger'
import { type AipicStandin, REPLY_STYLE_NAMES, startAipicStandin } from '../../standins/aipic-server'
import { type StaticHost, startStaticHost } from '../../standins/aipic/static-host'
import { makeTestPhoto, recordingLogger, testClient } from './helpers'

describe.each(REPLY_STYLE_NAMES)('the account service, replies styled %s', (replyStyle) => {
  let standin: AipicStandin
  let host: StaticHost
  let photoUrl: string
  let tempDir: string

  beforeAll(async () => {
    standin = await startAipicStandin({ replyStyle })
    host = await startStaticHost()
    photoUrl = host.put('/p.jpg', await makeTestPhoto(), 'image/jpeg')
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-account-'))
  })
  afterAll(async () => {
    await standin.close()
    await host.close()
    fs.rmSync(tempDir, { recursive: true, force: true })
  })
  afterEach(() => standin.resetFaults())

  class MapStore implements KeyValueStore {
    readonly data = new Map<string, unknown>()
    get(key: string) {
      return structuredClone(this.data.get(key))
    }
    set(key: string, value: unknown) {
      this.data.set(key, structuredClone(value))
    }
    delete(key: string) {
      this.data.delete(key)
    }
    entries() {
      return Object.fromEntries(this.data)
    }
  }

  /** AES-256-GCM, standing in for Electron's safeStorage. */
  function aesCipher(key = randomBytes(32)): StringCipher {
    return {
      encryptString(plain) {
        const iv = randomBytes(12)
        const cipher = createCipheriv('aes-256-gcm', key, iv)
        const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
        return Buffer.concat([iv, cipher.getAuthTag(), body])
      },
      decryptString(data) {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12))
        decipher.setAuthTag(data.subarray(12, 28))
        return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8')
      },
    }
  }

  let clock = Date.parse('2026-01-01T00:00:00Z')
  function service(store: KeyValueStore, vault: SecretVault = new MemoryVault(), logger = silentLogger, quick = false) {
    return new AccountService({
      client: testClient(standin.url, quick ? { logger, retry: { limit: 0 }, timeouts: { total: 300, cutoutResponse: 300 } } : { logger }),
      store,
      vault,
      tokenStorageReason: vault.backend === 'os-encrypted' ? 'encrypted' : 'unavailable',
      logger,
      now: () => clock,
    })
  }

  let phoneCounter = 0
  /** A fresh phone per test, so the stand-in's shared state does not leak between tests. */
  function freshPhone(): string {
    phoneCounter += 1
    return `1350000${String(1000 + phoneCounter).slice(-4)}`
  }

  async function failure(promise: Promise<unknown>): Promise<KoutuError> {
    try {
      await promise
    } catch (error) {
      return error as KoutuError
    }
    throw new Error('expected the call to fail')
  }

  async function logIn(account: AccountService, phone: string, typed = phone) {
    await account.sendCode(typed)
    clock += 61_000
    return account.login(typed, standin.lastCode(phone))
  }

  describe('device mode', () => {
    it('a random device id is made once and kept; it is the uuid and the unikey', async () => {
      const store = new MapStore()
      const first = service(store)
      const again = service(store)
      expect(first.deviceId).toMatch(/^[0-9a-f-]{36}$/)
      expect(again.deviceId).toBe(first.deviceId)
      expect(service(new MapStore()).deviceId).not.toBe(first.deviceId)

      await first.init()
      const credit = await first.creditsLeft()
      expect(credit).toBe(standin.state.initialDeviceCredit)
      const { resultUrl, identity } = await first.cutout(photoUrl)
      expect(identity).toBe('device')
      const png = Buffer.from(await first.downloadResult(resultUrl))
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
      expect(standin.state.devices.get(first.deviceId)!.credit).toBe(credit - 1)
      expect(first.getState()).toMatchObject({ loggedIn: false, identity: 'device', phone: null, credit: credit - 1 })
      const sent = standin.state.requests.filter((request) => request.endpoint === 'rm_pic_bg_with_uuid').at(-1)!
      expect(sent.body).toEqual({ uuid: first.deviceId, img_url: photoUrl })
    })

    it('history needs a login', async () => {
      const account = service(new MapStore())
      await account.init()
      expect((await failure(account.historyPage(1, 10))).code).toBe('aipic.not-logged-in')
    })
  })

  describe('phone login', () => {
    it('takes the phone as typed, checks it before any request, and masks it in the state', async () => {
      const account = service(new MapStore())
      await account.init()
      const before = standin.state.requests.length
      for (const bad of ['12345', '23800138000', '+1 415 555 0100', '']) {
        expect((await failure(account.sendCode(bad))).code).toBe('aipic.invalid-phone')
      }
      expect(standin.state.requests.length).toBe(before)

      const phone = freshPhone()
      const typed = `+86 ${phone.slice(0, 3)}-${phone.slice(3, 7)} ${phone.slice(7)}`
      const state = await logIn(account, phone, typed)
      expect(standin.state.requests.filter((r) => r.endpoint === 'send_sms_vcode').at(-1)!.body).toEqual({ phone })
      expect(state).toMatchObject({ loggedIn: true, identity: 'phone', credit: standin.state.initialUserCredit })
      expect(state.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`)
      expect((await failure(account.login(phone, '12a4'))).code).toBe('aipic.invalid-code')
    })

    it('a 60 s code cooldown, kept across a restart; the server refusal is shown as is and starts none', async () => {
      const store = new MapStore()
      const phone = freshPhone()
      const account = service(store)
      await account.init()
      standin.faults.statusError = { status: 2, msg: '今日发送次数已达上限', endpoints: ['send_sms_vcode'], times: 1 }
      const refused = await failure(account.sendCode(phone))
      expect(refused.message).toContain('今日发送次数已达上限')
      expect(account.getState().codeCooldownEndsAt).toBeNull()

      await account.sendCode(phone)
      expect(account.getState().codeCooldownEndsAt).toBe(clock + 60_000)
      clock += 20_000
      const restarted = service(store)
      await restarted.init()
      const cooling = await failure(restarted.sendCode(phone))
      expect(cooling.code).toBe('aipic.code-cooldown')
      expect(cooling.detail.secondsLeft).toBe(40)
      clock += 40_000
      expect(restarted.getState().codeCooldownEndsAt).toBeNull()
      await restarted.sendCode(phone)
      expect(standin.state.smsLog.filter((sms) => sms.phone === phone)).toHaveLength(2)
    })

    it('credits and history follow the logged-in account; logout returns to device mode', async () => {
      const account = service(new MapStore())
      await account.init()
      const phone = freshPhone()
      await logIn(account, phone)
      await account.cutout(photoUrl)
      await account.cutout(photoUrl)
      const user = standin.state.users.get(phone)!
      expect(await account.creditsLeft()).toBe(user.credit)
      expect(user.credit).toBe(standin.state.initialUserCredit - 2)
      const page = await account.historyPage(1, 1)
      expect(page.totalCount).toBe(2)
      expect(page.items).toHaveLength(1)
      expect(await account.getAd()).toMatchObject({ id: '6' })

      const state = await account.logout()
      expect(state).toMatchObject({ loggedIn: false, identity: 'device', phone: null, credit: null, loggedOutReason: null })
      expect((await account.refreshCredits()).credit).toBe(standin.state.devices.get(account.deviceId)?.credit)
    })
  })

  describe('the session across restarts and the token at rest', () => {
    it('os-encrypted: the settings file holds only ciphertext, and the session survives a restart', async () => {
      const file = path.join(tempDir, 'settings.json')
      const cipher = aesCipher()
      const logger = recordingLogger()
      // One store for the account record and the ciphertext, as the app's settings file.
      const store = new JsonFileStore(file, silentLogger)
      const shared = service(store, new EncryptedStoreVault(store, cipher), logger)
      await shared.init()
      const phone = freshPhone()
      await logIn(shared, phone)
      const token = standin.state.users.get(phone)!.token!
      const onDisk = fs.readFileSync(file, 'utf8')
      expect(onDisk).not.toContain(token)
      expect(onDisk).toContain('secret.aipic-token')
      expect(onDisk).toContain(phone)

      const reopened = new JsonFileStore(file, silentLogger)
      const restarted = service(reopened, new EncryptedStoreVault(reopened, cipher))
      expect((await restarted.init()).loggedIn).toBe(true)
      expect((await restarted.historyPage(1, 5)).totalCount).toBe(0)

      // Another key (another OS user, a reset keyring) cannot read it: logged out, no error.
      const stranger = service(new JsonFileStore(file, silentLogger), new EncryptedStoreVault(new JsonFileStore(file, silentLogger), aesCipher()))
      expect((await stranger.init()).loggedIn).toBe(false)
      expect(logger.lines.join('\n')).not.toContain(token)
    })

    it('memory-only: the session ends with the process', async () => {
      const store = new MapStore()
      const account = service(store, new MemoryVault())
      await account.init()
      const phone = freshPhone()
      await logIn(account, phone)
      expect(account.getState()).toMatchObject({ loggedIn: true, tokenStorage: 'memory-only' })
      expect(JSON.stringify(store.entries())).not.toContain(standin.state.users.get(phone)!.token)
      const restarted = service(store, new MemoryVault())
      expect(await restarted.init()).toMatchObject({ loggedIn: false, phone: null, identity: 'device' })
    })

    it('the token is in no state, event, log line or stored value', async () => {
      const store = new MapStore()
      const vault = new MemoryVault()
      const logger = recordingLogger()
      const account = service(store, vault, logger)
      const seen: AccountState[] = []
      const unsubscribe = account.onChange((state) => seen.push(state))
      await account.init()
      const phone = freshPhone()
      await logIn(account, phone)
      await account.refreshCredits()
      await account.cutout(photoUrl)
      standin.faults.invalidJson = { endpoints: ['get_rm_bg_list'], times: 1 }
      await expect(account.historyPage(1, 1)).rejects.toThrow(/not valid JSON/)
      const token = await vault.load(TOKEN_SECRET_NAME)
      expect(token).toBe(standin.state.users.get(phone)!.token)
      const everything = JSON.stringify([seen, account.getState(), logger.lines])
      expect(everything).not.toContain(token)
      expect(everything).not.toContain(phone) // masked in what the renderer and the logs see
      expect(logger.lines.some((line) => line.includes('aipic.invalid-json'))).toBe(true)
      expect(JSON.stringify(store.entries())).not.toContain(token)
      expect(seen.length).toBeGreaterThanOrEqual(4)
      unsubscribe()
      await account.logout()
      expect(seen.at(-1)!.loggedIn).toBe(true)
      expect(await vault.load(TOKEN_SECRET_NAME)).toBeNull()
    })
  })

  describe('changing where the token lives', () => {
    it('moves the token from memory to the encrypted store and back, without ending the session', async () => {
      const store = new MapStore()
      const memory = new MemoryVault()
      const account = service(store, memory)
      await account.init()
      const phone = freshPhone()
      await logIn(account, phone)
      const token = standin.state.users.get(phone)!.token!
      const cipher = aesCipher()
      const encrypted = new EncryptedStoreVault(store, cipher)
      const events: AccountState[] = []
      account.onChange((state) => events.push(state))
      const state = await account.setTokenStorage(encrypted, 'encrypted')
      expect(state).toMatchObject({ loggedIn: true, tokenStorage: 'os-encrypted', tokenStorageReason: 'encrypted' })
      expect(events.at(-1)!.tokenStorage).toBe('os-encrypted')
      expect(await memory.load(TOKEN_SECRET_NAME)).toBeNull()
      expect(await encrypted.load(TOKEN_SECRET_NAME)).toBe(token)
      const restarted = service(store, new EncryptedStoreVault(store, cipher))
      expect((await restarted.init()).loggedIn).toBe(true)

      await account.setTokenStorage(new MemoryVault(), 'basic-text-only')
      expect(store.get('secret.aipic-token')).toBeUndefined()
      expect(account.getState()).toMatchObject({ loggedIn: true, tokenStorage: 'memory-only' })
    })
  })

  describe('faults leave the account consistent', () => {
    it('an expired token logs out cleanly with the reason, and an event', async () => {
      const vault = new MemoryVault()
      const account = service(new MapStore(), vault)
      await account.init()
      await logIn(account, freshPhone())
      const events: AccountState[] = []
      account.onChange((state) => events.push(state))
      standin.faults.expiredToken = true
      expect((await failure(account.historyPage(1, 5))).code).toBe('aipic.session-expired')
      expect(account.getState()).toMatchObject({ loggedIn: false, identity: 'device', loggedOutReason: 'session-expired', phone: null })
      expect(events.at(-1)!.loggedOutReason).toBe('session-expired')
      expect(await vault.load(TOKEN_SECRET_NAME)).toBeNull()
      // A batch that started logged in does not go on with the device's credits.
      expect((await failure(account.cutout(photoUrl, undefined, 'phone'))).code).toBe('aipic.session-expired')
    })

    it('out of credit sets the known credit to 0', async () => {
      const account = service(new MapStore())
      await account.init()
      await account.refreshCredits()
      standin.faults.outOfCredit = true
      expect((await failure(account.cutout(photoUrl))).code).toBe('aipic.out-of-credit')
      expect(account.getState().credit).toBe(0)
    })

    it('HTTP errors, invalid JSON, slow and oversize bodies and an unknown outcome change nothing', async () => {
      const account = service(new MapStore(), new MemoryVault(), silentLogger, true)
      await account.init()
      const phone = freshPhone()
      await logIn(account, phone)
      const before = await account.refreshCredits()
      const { resultUrl } = await account.cutout(photoUrl)
      const charged = (before.credit ?? 0) - 1
      const faults: [() => void, () => Promise<unknown>, string][] = [
        [() => (standin.faults.latencyMs = 400), () => account.refreshCredits(), 'aipic.timeout'],
        [() => (standin.faults.slowBody = { chunkDelayMs: 100 }), () => account.historyPage(1, 2), 'aipic.timeout'],
        [() => (standin.faults.hang = { endpoints: ['rm_pic_bg'] }), () => account.cutout(photoUrl), 'aipic.outcome-unknown'],
        [() => (standin.faults.resultNotFound = true), () => account.downloadResult(resultUrl), 'aipic.result-unavailable'],
        [() => (standin.faults.httpError = { status: 500 }), () => account.refreshCredits(), 'aipic.http-error'],
        [() => (standin.faults.invalidJson = {}), () => account.historyPage(1, 2), 'aipic.invalid-json'],
        [() => (standin.faults.oversizeBody = { bytes: 2 * 1024 * 1024 }), () => account.refreshCredits(), 'aipic.response-too-large'],
        [() => (standin.faults.statusError = { status: 9, msg: '系统繁忙' }), () => account.getAd(), 'aipic.rejected'],
        [() => (standin.faults.dropConnection = { endpoints: ['rm_pic_bg'] }), () => account.cutout(photoUrl), 'aipic.outcome-unknown'],
      ]
      for (const [arm, call, code] of faults) {
        arm()
        expect((await failure(call())).code).toBe(code)
        standin.resetFaults()
        expect(account.getState()).toMatchObject({ loggedIn: true, identity: 'phone', phone: before.phone, loggedOutReason: null })
      }
      // The dropped cutout was charged by the server (the hung one was not): a refresh shows it.
      expect((await account.refreshCredits()).credit).toBe(charged - 1)
    })
  })
})
