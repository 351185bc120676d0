/**
 * The two middlewares Ollama runs before routing (server/routes.go): gin-contrib/cors v1.7.2 with
 * Ollama's origin list, then the DNS-rebinding Host check that applies on loopback listeners.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { sendStatus, type Headers } from './sim-http.js';

const ALLOW_METHODS = 'GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS';
// gin-contrib/cors lowercases then canonicalises the configured names (`OpenAI-Beta` → `Openai-Beta`).
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'User-Agent',
  'Accept',
  'X-Requested-With',
  'Openai-Beta',
  'X-Stainless-Arch',
  'X-Stainless-Async',
  'X-Stainless-Custom-Poll-Interval',
  'X-Stainless-Helper-Method',
  'X-Stainless-Lang',
  'X-Stainless-Os',
  'X-Stainless-Package-Version',
  'X-Stainless-Poll-Helper',
  'X-Stainless-Retry-Count',
  'X-Stainless-Runtime',
  'X-Stainless-Runtime-Version',
  'X-Stainless-Timeout',
].join(',');

/** `envconfig.AllowedOrigins()`: OLLAMA_ORIGINS entries first, then the built-in list. */
export function allowedOrigins(extra: readonly string[] = []): string[] {
  const out = [...extra];
  for (const host of ['localhost', '127.0.0.1', '0.0.0.0']) {
    out.push(`http://${host}`, `https://${host}`, `http://${host}:*`, `https://${host}:*`);
  }
  out.push('app://*', 'file://*', 'tauri://*', 'vscode-webview://*', 'vscode-file://*');
  return out;
}

function originAllowed(origin: string, origins: readonly string[]): boolean {
  return origins.some((rule) => {
    const star = rule.indexOf('*');
    if (star < 0) return rule === origin;
    if (star === 0) return origin.endsWith(rule.slice(1));
    if (star === rule.length - 1) return origin.startsWith(rule.slice(0, -1));
    return origin.startsWith(rule.slice(0, star)) && origin.endsWith(rule.slice(star + 1));
  });
}

/**
 * Returns the CORS headers to add to the response, or `null` when the middleware already answered
 * (403 for a disallowed origin, 204 for a preflight).
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): Headers | null {
  const origin = req.headers.origin;
  if (!origin) return {};
  const host = req.headers.host ?? '';
  if (origin === `http://${host}` || origin === `https://${host}`) return {};
  const allowAll = origins.includes('*');
  if (!allowAll && !originAllowed(origin, origins)) {
    sendStatus(res, 403);
    return null;
  }
  const allowOrigin = allowAll ? '*' : origin;
  if (req.method === 'OPTIONS') {
    const headers: Headers = {
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': '43200',
      'Access-Control-Allow-Origin': allowOrigin,
    };
    if (!allowAll) headers.Vary = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'];
    sendStatus(res, 204, headers);
    return null;
  }
  return allowAll ? { 'Access-Control-Allow-Origin': '*' } : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

function ipv4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** netip's IsLoopback / IsPrivate / IsUnspecified, with IPv4-mapped IPv6 unmapped first. */
function isLocalAddress(raw: string): boolean {
  let ip = raw.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1] as string;
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ipv4Parts(ip);
    if (a === 127 || a === 10 || ip === '0.0.0.0') return true;
    if (a === 172 && b >= 16 && b <= 31) return true;
    if (a === 192 && b === 168) return true;
  } else if (ip === '::1' || ip === '::' || /^f[cd][0-9a-f]{0,2}:/.test(ip)) {
    return true;
  }
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === ip));
}

function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end > 0 ? hostHeader.slice(1, end) : hostHeader;
  }
  const colons = hostHeader.split(':').length - 1;
  return colons === 1 ? hostHeader.slice(0, hostHeader.indexOf(':')) : hostHeader;
}

function allowedHostName(host: string): boolean {
  const h = host.toLowerCase();
  if (h === '' || h === 'localhost' || h === hostname().toLowerCase()) return true;
  return ['.localhost', '.local', '.internal'].some((tld) => h.endsWith(tld));
}

/**
 * `allowedHostsMiddleware`: only on loopback listeners. Returns false when it answered (403, or
 * 204 for an OPTIONS request to an allowed host *name*).
 */
export function checkHost(req: IncomingMessage, res: ServerResponse, loopbackListener: boolean, extra: Headers): boolean {
  if (!loopbackListener) return true;
  const host = hostOnly(req.headers.host ?? '');
  if (isIP(host) !== 0 && isLocalAddress(host)) return true;
  if (allowedHostName(host)) {
    if (req.method === 'OPTIONS') {
      sendStatus(res, 204, extra);
      return false;
    }
    return true;
  }
  sendStatus(res, 403, extra);
  return false;
}

export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}
