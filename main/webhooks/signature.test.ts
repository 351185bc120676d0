import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { secretKey, sign, webhookHeaders } from './signature.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';

describe('Standard Webhooks signature', () => {
  it('matches the known-answer vector', () => {
    expect(sign(secretKey(SECRET), ID, TS, BODY)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(sign(secretKey(SECRET), ID, TS, Buffer.from(BODY))).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('produces headers the official verifier accepts', () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secretKey(SECRET), ID, now, BODY);
    expect(headers).toMatchObject({ 'webhook-id': ID, 'webhook-timestamp': String(now), 'content-type': 'application/json' });
    expect(new Webhook(SECRET).verify(BODY, headers)).toEqual({ test: 2432232314 });
  });

  it('signs with every secret while one is being rotated', () => {
    const next = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([secretKey(next), secretKey(SECRET)], ID, now, BODY);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(SECRET).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(next).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).verify(BODY, headers)).toThrow();
  });
});
