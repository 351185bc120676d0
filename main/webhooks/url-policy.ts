/**
 * Where webhooks may go. Checked when a job is submitted (the URL) and again on every attempt
 * (the addresses the name resolves to, which are the ones connected to), so a DNS answer that changes
 * later cannot point a delivery at the cloud metadata service or another link-local address.
 */
import dns from 'node:dns';
import net from 'node:net';

export class UrlPolicyError extends Error {}

export type AddressKind = 'forbidden' | 'loopback' | 'private' | 'public';

export interface AddressPolicy {
  /**
   * Receivers on this machine. Allowed by default: whoever can submit a job already talks to foreman
   * over loopback, so a loopback receiver gives them no reach they lack, and it is the common setup.
   * @default true
   */
  allowLoopback: boolean;
  /** Private LAN ranges (RFC 1918, CGNAT, IPv6 ULA): only when the user allows them. @default false */
  allowPrivate: boolean;
}

export const DEFAULT_ADDRESS_POLICY: Readonly<AddressPolicy> = Object.freeze({ allowLoopback: true, allowPrivate: false });

function v4(addr: string): [number, number, number, number] | null {
  const parts = addr.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const n = parts.map(Number);
  return n.every((p) => p <= 255) ? (n as [number, number, number, number]) : null;
}

function kindOfV4([a, b, c, d]: [number, number, number, number]): AddressKind {
  // "This network", link-local (cloud metadata), multicast, reserved and broadcast; Alibaba's metadata.
  if (a === 0 || (a === 169 && b === 254) || a >= 224 || (a === 100 && b === 100 && c === 100 && d === 200)) return 'forbidden';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address, or null if it is not one. */
function v6Groups(addr: string): number[] | null {
  let a = addr.toLowerCase().replace(/%.*$/, '');
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    const p = v4(dotted[2]!);
    if (!p) return null;
    a = `${dotted[1]}${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

function kindOfV6(g: number[]): AddressKind {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (): AddressKind => kindOfV4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 0) return 'forbidden';
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // IPv4-mapped, IPv4-compatible and NAT64 addresses reach the IPv4 address inside them.
  if (upperZero && (g5 === 0xffff || g5 === 0)) return embedded();
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded();
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xff00) === 0xff00) return 'forbidden';
  // AWS's IPv6 metadata endpoint sits inside the ULA range.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return 'forbidden';
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0) return 'private';
  return 'public';
}

/** What kind of network an IP address is on; null if it is not an IP address. */
export function addressKind(address: string): AddressKind | null {
  const p = v4(address);
  if (p) return kindOfV4(p);
  const g = v6Groups(address);
  return g ? kindOfV6(g) : null;
}

/** Link-local (cloud metadata lives there), "this network", multicast and broadcast: never a receiver. */
export function isForbiddenAddress(address: string): boolean {
  return addressKind(address) === 'forbidden';
}

export function isAllowedAddress(address: string, policy: AddressPolicy = DEFAULT_ADDRESS_POLICY): boolean {
  const kind = addressKind(address);
  if (kind === 'loopback') return policy.allowLoopback;
  if (kind === 'private') return policy.allowPrivate;
  return kind === 'public';
}

function refusal(host: string, address: string): string {
  const kind = addressKind(address);
  const why = kind === 'private' ? ': private networks are off in settings' : kind === 'loopback' ? ': loopback is off in settings' : '';
  return `webhook ${host === address ? 'url points at' : `host ${host} resolves to`} a forbidden address (${address}${why})`;
}

/** Syntax-level checks for a webhook URL, and the address check when its host is an IP literal. */
export function checkWebhookUrl(raw: string, policy: AddressPolicy = DEFAULT_ADDRESS_POLICY): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlPolicyError(`webhook url "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlPolicyError('webhook url must be http or https');
  if (url.username || url.password) throw new UrlPolicyError('webhook url must not contain a user name or password');
  // WHATWG URL has already turned decimal, hex and short IPv4 forms into dotted quads.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !isAllowedAddress(host, policy)) throw new UrlPolicyError(refusal(host, host));
  if (host === 'metadata.google.internal' || host === 'metadata') throw new UrlPolicyError('webhook url points at a cloud metadata service');
  return url;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

export interface GuardedLookupOptions {
  /** @default DEFAULT_ADDRESS_POLICY */
  policy?: AddressPolicy;
  /** Name resolution; tests inject answers here. @default dns.lookup */
  resolve?: Resolver;
}

/**
 * A `lookup` for the HTTP connector: resolves, refuses the whole answer if any address is not allowed,
 * and hands the checked addresses to the socket, so the connection goes to an address that was checked.
 */
export function createGuardedLookup(options: GuardedLookupOptions = {}): LookupFunction {
  const policy = options.policy ?? DEFAULT_ADDRESS_POLICY;
  const resolve: Resolver = options.resolve ?? ((hostname, opts, cb) => dns.lookup(hostname, opts, cb));
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (err, list) => {
      if (err) return callback(err, '', 0);
      const bad = list.find((a) => !isAllowedAddress(a.address, policy));
      if (bad || list.length === 0) {
        const e: NodeJS.ErrnoException = new UrlPolicyError(bad ? refusal(hostname, bad.address) : `webhook host ${hostname} has no addresses`);
        e.code = bad ? 'EFORBIDDEN' : 'ENOTFOUND';
        return callback(e, '', 0);
      }
      if (lookupOptions.all) return callback(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** The guarded lookup with the default policy and the system resolver. */
export const guardedLookup: LookupFunction = createGuardedLookup();
