/**
 * Where webhooks may go. Checked when a job is submitted (the URL) and again on every attempt
 * (the addresses the name resolves to, which are the ones connected to), so a DNS answer that changes
 * later cannot point a delivery at the cloud metadata service or another link-local address.
 */
import dns from 'node:dns';
import net from 'node:net';

export class UrlPolicyError extends Error {}

/** Syntax-level checks for a submitted webhook URL. */
export function checkWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlPolicyError(`webhook url "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlPolicyError('webhook url must be http or https');
  if (url.username || url.password) throw new UrlPolicyError('webhook url must not contain a user name or password');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && isForbiddenAddress(host)) throw new UrlPolicyError(`webhook url points at a forbidden address (${host})`);
  if (host === 'metadata.google.internal' || host === 'metadata') throw new UrlPolicyError('webhook url points at a cloud metadata service');
  return url;
}

function v4(addr: string): number[] | null {
  const parts = addr.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : null;
}

/** Link-local (cloud metadata lives there), "this network", multicast and broadcast: never a receiver. */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const p = v4(mapped ? (mapped[1] as string) : address);
  if (p) {
    const [a, b] = p as [number, number];
    return a === 0 || (a === 169 && b === 254) || a >= 224 || (a === 100 && b === 100 && p[2] === 100 && p[3] === 200);
  }
  const lower = address.toLowerCase();
  return lower === '::' || /^fe[89ab]/.test(lower) || lower.startsWith('ff') || lower === 'fd00:ec2::254';
}

/** A `lookup` for undici's connector that refuses forbidden addresses after resolution. */
export function guardedLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) {
      const e: NodeJS.ErrnoException = new UrlPolicyError(`webhook host ${hostname} resolves to a forbidden address (${bad.address})`);
      e.code = 'EFORBIDDEN';
      return callback(e, '', 0);
    }
    if (options.all) return callback(null, list);
    const first = list[0]!;
    callback(null, first.address, first.family);
  });
}
