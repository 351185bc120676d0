import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, nextAttemptAt, parseRetryAfter } from './retry.js';
import { classifyError, classifyStatus } from './classify.js';
import { UrlPolicyError } from './url-policy.js';

describe('retry schedule', () => {
  const schedule = (random: number) => ({ retriesMs: [5000, 300_000], jitter: 0.1, random: () => random });

  it('waits the configured delay scaled by up to ±jitter, then gives up after the last attempt', () => {
    expect(nextAttemptAt(1, 1000, schedule(0.5))).toBe(6000);
    expect(nextAttemptAt(1, 1000, schedule(0))).toBe(1000 + 4500);
    expect(nextAttemptAt(2, 1000, schedule(1))).toBe(1000 + 330_000);
    expect(nextAttemptAt(3, 1000, schedule(0.5))).toBeNull();
  });

  it('lets Retry-After lengthen the wait but never shorten it', () => {
    expect(nextAttemptAt(1, 0, schedule(0.5), 60_000)).toBe(60_000);
    expect(nextAttemptAt(1, 0, schedule(0.5), 1000)).toBe(5000);
  });

  it('reads Retry-After as seconds or an HTTP-date, capped', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('classification', () => {
  it('names statuses', () => {
    expect(classifyStatus(200)).toBeNull();
    expect(classifyStatus(204)).toBeNull();
    expect(classifyStatus(302)).toBe('redirect');
    expect(classifyStatus(410)).toBe('gone');
    expect(classifyStatus(429)).toBe('invalid_status');
    expect(classifyStatus(500)).toBe('invalid_status');
  });

  it('names errors by code, cause and aggregate members', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(classifyError(coded('ECONNREFUSED'))).toBe('connect_refused');
    expect(classifyError(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]))).toBe('connect_refused');
    expect(classifyError(coded('ENOTFOUND'))).toBe('dns');
    expect(classifyError(coded('UND_ERR_SOCKET'))).toBe('connection_reset');
    expect(classifyError(coded('UND_ERR_CONNECT_TIMEOUT'))).toBe('timeout');
    expect(classifyError(Object.assign(new Error('x'), { cause: coded('ECONNRESET') }))).toBe('connection_reset');
    expect(classifyError(new UrlPolicyError('no'))).toBe('forbidden_address');
    expect(classifyError(new Error('?'))).toBe('network');
  });
});
