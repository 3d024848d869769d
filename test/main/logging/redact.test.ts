import { describe, expect, it } from 'vitest'
import { REDACTED, isSecretKey, redactText, redactValue } from '../../../src/main/logging/redact'

describe('redactText', () => {
  it('masks mainland mobile numbers, with or without +86, and leaves masked ones alone', () => {
    expect(redactText('sent a code to 13812345678')).toBe('sent a code to 138****5678')
    expect(redactText('phone=+8613912345678&x=1')).toBe('phone=+86139****5678&x=1')
    expect(redactText('already 138****5678')).toBe('already 138****5678')
    // Longer digit runs (timestamps, sizes) are not phone numbers.
    expect(redactText('at 1700000000000 ms, 12345678901234 bytes')).toBe('at 1700000000000 ms, 12345678901234 bytes')
  })

  it('removes tokens from query strings, JSON, headers and bearer credentials', () => {
    const samples = [
      'GET https://aipic.example/api/get_credit?token=abcDEF123456&customer_id=7',
      '{"token":"abcDEF123456","credit":3}',
      "{ token: 'abcDEF123456' }",
      'Authorization: Bearer abcDEF123456.xyz',
      'header x-access-token=abcDEF123456',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz in a message',
    ]
    for (const sample of samples) {
      const redacted = redactText(sample)
      expect(redacted, sample).not.toMatch(/abcDEF123456|eyJzdWIiOiIxIn0/)
      expect(redacted, sample).toContain(REDACTED)
    }
    expect(redactText('GET /api/get_credit?token=abcDEF123456&customer_id=7')).toBe(`GET /api/get_credit?token=${REDACTED}&customer_id=7`)
  })

  it('removes SMS codes but keeps error codes', () => {
    expect(redactText('login phone=138****5678 vcode=482913')).toBe(`login phone=138****5678 vcode=${REDACTED}`)
    expect(redactText('{"code":"482913"}')).toBe(`{"code":"${REDACTED}"}`)
    expect(redactText('failed with code: aipic.timeout')).toBe('failed with code: aipic.timeout')
    expect(redactText('HTTP status 503')).toBe('HTTP status 503')
  })

  it('removes S3 keys, secrets and signatures', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    const auth =
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024'
    const redacted = redactText(`${auth} secret ${secret} url ?X-Amz-Signature=abc123def456&X-Amz-Expires=3600`)
    expect(redacted).not.toContain('AKIAIOSFODNN7EXAMPLE')
    expect(redacted).not.toContain('fe5f80f77d5fa3beca038a248ff027d0445342fe')
    expect(redacted).not.toContain(secret)
    expect(redacted).not.toContain('abc123def456')
    expect(redacted).toContain('X-Amz-Expires=3600')
    expect(redacted).toContain('SignedHeaders=host;x-amz-date')
    // A lowercase hex digest (a sha1 of a file) is not a secret.
    expect(redactText('model sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12')).toContain('2fd4e1c67a2d28fced849ee1bb76e7391b93eb12')
    expect(redactText('AKIAIOSFODNN7EXAMPLE')).toBe(REDACTED)
  })
})

describe('redactValue', () => {
  it('replaces secret fields by name, masks phone fields, keeps the rest', () => {
    const entry = {
      phone: '13812345678',
      token: 'abcDEF123456',
      accessToken: 'x',
      secretAccessKey: 'y',
      code: '482913',
      errorCode: 'aipic.session-expired',
      tokenStorage: 'os-encrypted',
      hasToken: true,
      nested: { list: [{ Authorization: 'AWS4 z', url: 'https://h/x?sign=1&token=qwertyuiop' }] },
      credit: 12,
    }
    expect(redactValue(entry)).toEqual({
      phone: '138****5678',
      token: REDACTED,
      accessToken: REDACTED,
      secretAccessKey: REDACTED,
      code: REDACTED,
      errorCode: 'aipic.session-expired',
      tokenStorage: 'os-encrypted',
      hasToken: true,
      nested: { list: [{ Authorization: REDACTED, url: `https://h/x?sign=1&token=${REDACTED}` }] },
      credit: 12,
    })
    // The input is not modified.
    expect(entry.token).toBe('abcDEF123456')
  })

  it('turns errors into redacted text and survives cycles and depth', () => {
    const error = new Error('request to https://aipic.example/api?token=abcDEF123456 failed for 13812345678')
    const redactedError = redactValue(error) as string
    expect(redactedError).toContain('138****5678')
    expect(redactedError).not.toContain('abcDEF123456')
    const cyclic: Record<string, unknown> = { name: 'a' }
    cyclic.self = cyclic
    expect(redactValue(cyclic)).toEqual({ name: 'a', self: '[circular]' })
    expect(redactValue({ a: { b: { c: 1 } } }, 2)).toEqual({ a: { b: '[too deep]' } })
    expect(redactValue(Buffer.from('secret bytes'))).toBe('[12 bytes]')
  })

  it('knows which names are secret', () => {
    expect(['token', 'X-Amz-Security-Token', 'sms_code', 'password', 's3SecretKey', 'cookie'].every(isSecretKey)).toBe(true)
    expect(['phone', 'credit', 'tokenStorage', 'endpoint', 'bucket'].some(isSecretKey)).toBe(false)
  })
})
