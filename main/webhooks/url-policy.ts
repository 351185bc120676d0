/**
 * Where webhooks may go. Checked when a job is submitted (the URL) and again on every attempt
 * (the addresses the name resolves to, which are the ones connected to), so a DNS answer that changes
 * later cannot point a delivery at the cloud metadata service or another link-local address.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

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

/** ipaddr.js's range names; a range not named here is public. */
const V4_KINDS: Readonly<Record<string, AddressKind>> = {
  // "This network", link-local (cloud metadata), multicast, broadcast, and reserved and test nets.
  unspecified: 'forbidden',
  linkLocal: 'forbidden',
  multicast: 'forbidden',
  broadcast: 'forbidden',
  reserved: 'forbidden',
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'private',
};

const V6_KINDS: Readonly<Record<string, AddressKind>> = {
  unspecified: 'forbidden',
  linkLocal: 'forbidden',
  multicast: 'forbidden',
  discard: 'forbidden',
  reserved: 'forbidden',
  loopback: 'loopback',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  // NAT64 for local use (RFC 8215): where the IPv4 address sits depends on the site.
  rfc6052: 'private',
};

/** Cloud metadata services inside ranges that are otherwise allowed: Alibaba's (CGNAT) and AWS's IPv6 one (ULA). */
const METADATA_ADDRESSES = new Set(['100.100.100.200', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toNormalizedString()));

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** The IPv4 address an IPv6 address reaches: IPv4-mapped, -translated, -compatible and NAT64 ones. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const range = a.range() as string;
  const compatible = p.slice(0, 6).every((g) => g === 0);
  if (range !== 'ipv4Mapped' && range !== 'rfc6145' && !compatible && !a.match(NAT64)) return null;
  return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
}

function kindOf(a: ipaddr.IPv4 | ipaddr.IPv6): AddressKind {
  if (METADATA_ADDRESSES.has(a.toNormalizedString())) return 'forbidden';
  if (a.kind() === 'ipv4') return V4_KINDS[a.range()] ?? 'public';
  const v6 = a as ipaddr.IPv6;
  const range = v6.range() as string;
  // `::` and `::1` are not the IPv4-compatible 0.0.0.0 and 0.0.0.1.
  const inner = range === 'unspecified' || range === 'loopback' ? null : embeddedV4(v6);
  return inner ? kindOf(inner) : (V6_KINDS[range] ?? 'public');
}

/** What kind of network an IP address is on; null if it is not an IP address. */
export function addressKind(address: string): AddressKind | null {
  // Only the plain spellings DNS answers and WHATWG URL hosts use: ipaddr.js would also read 127.1 or 0x7f.0.0.1.
  if (net.isIP(address) === 0) return null;
  return kindOf(ipaddr.parse(address));
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
  const why =
    kind === 'private'
      ? ': private networks are off; allow them with --webhook-allow-private or FOREMAN_WEBHOOK_ALLOW_PRIVATE=1'
      : kind === 'loopback'
        ? ': loopback is off'
        : '';
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
  if (host === 'metadata.google.internal' || host === 'metadata')
    throw new UrlPolicyError('webhook url points at a cloud metadata service');
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
        const e: NodeJS.ErrnoException = new UrlPolicyError(
          bad ? refusal(hostname, bad.address) : `webhook host ${hostname} has no addresses`,
        );
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
