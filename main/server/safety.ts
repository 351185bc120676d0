/**
 * Request guards that run before routing. A browser page on any site can make a loopback request;
 * these stop DNS-rebinding (foreign Host) and cross-site requests (foreign Origin), as Ollama does,
 * but with an exact loopback Host allowlist (CVE-2024-28224).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackAddress } from '../ollama/ollama-host.js';

/** Ollama's built-in CORS allowlist (gin-contrib/cors patterns), before `OLLAMA_ORIGINS` entries. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  ...['localhost', '127.0.0.1', '0.0.0.0'].flatMap((h) => [`http://${h}`, `https://${h}`, `http://${h}:*`, `https://${h}:*`]),
  'app://*',
  'file://*',
  'tauri://*',
  'vscode-webview://*',
  'vscode-file://*',
];

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export { isLoopbackAddress };

/** `Host` header's hostname, port removed; lower-cased. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function isAllowedHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const portPart = hostHeader.trim().replace(/^(\[[^\]]*\]|[^:]*)/, '');
  if (portPart !== '' && !/^:\d{1,5}$/.test(portPart)) return false;
  return LOOPBACK_HOSTNAMES.has(hostnameOf(hostHeader));
}

function patternMatches(pattern: string, origin: string): boolean {
  if (pattern === '*') return true;
  const star = pattern.indexOf('*');
  if (star === -1) return pattern === origin;
  return origin.startsWith(pattern.slice(0, star)) && origin.endsWith(pattern.slice(star + 1)) && origin.length >= pattern.length - 1;
}

export function isAllowedOrigin(origin: string, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  const o = origin.toLowerCase();
  if (o === 'null') return false;
  if (hostHeader && (o === `http://${hostHeader.toLowerCase()}` || o === `https://${hostHeader.toLowerCase()}`)) return true;
  return allowed.some((p) => patternMatches(p.toLowerCase(), o));
}

export interface SafetyOptions {
  /** Apply the Host check (on when listening on loopback, as Ollama does). */
  checkHost: boolean;
  /** Origin patterns allowed besides same-origin requests. */
  allowedOrigins: readonly string[];
}

/** Host values judged loopback that a hook remembers: clients send the same one on every request. */
const KNOWN_HOSTS_MAX = 32;

/** Whether a request's Host and Origin may be served (false: 403). */
export function createRequestGuard(options: SafetyOptions): (headers: IncomingHttpHeaders) => boolean {
  // An exact Host value once allowed is allowed again without parsing it (one Set lookup per request).
  const knownHosts = new Set<string>();
  return function allowed(headers: IncomingHttpHeaders): boolean {
    const host = headers.host;
    if (options.checkHost && (host === undefined || !knownHosts.has(host))) {
      if (!isAllowedHost(host)) return false;
      if (knownHosts.size < KNOWN_HOSTS_MAX) knownHosts.add(host!);
    }
    const origin = headers.origin;
    return origin === undefined || isAllowedOrigin(origin, host, options.allowedOrigins);
  };
}

/** A callback-style hook: it runs on every request, so no promise per request. */
export function createSafetyHook(options: SafetyOptions) {
  const allowed = createRequestGuard(options);
  return function safetyHook(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (allowed(request.headers)) done();
    else reply.code(403).send();
  };
}
