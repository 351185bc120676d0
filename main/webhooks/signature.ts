/**
 * Standard Webhooks signing: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed with the
 * base64-decoded part of a `whsec_` secret.
 */
import { createHmac } from 'node:crypto';

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function sign(key: Buffer, id: string, timestampSec: number, body: string | Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSec}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers. Several keys give several space-separated signatures, so
 * receivers keep verifying while a secret is rotated (they accept any one that matches).
 */
export function webhookHeaders(
  keys: Buffer | readonly Buffer[],
  id: string,
  timestampSec: number,
  body: string | Buffer,
): Record<string, string> {
  const list = Buffer.isBuffer(keys) ? [keys] : keys;
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': list.map((key) => sign(key, id, timestampSec, body)).join(' '),
  };
}
