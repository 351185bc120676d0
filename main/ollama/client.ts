/**
 * The one place foreman talks to Ollama over HTTP. Takes an undici dispatcher so tests and benchmarks
 * can pass their own; in production a keep-alive Pool to the upstream.
 */
import { Pool, type Dispatcher } from 'undici';
import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { normalizeModel } from './model-name.js';
import type { UpstreamAddress } from './ollama-host.js';

export interface OllamaClientOptions {
  upstream: UpstreamAddress;
  dispatcher?: Dispatcher;
  /** Keep-alive connections to the upstream. @default 16 */
  connections?: number;
  /**
   * For inference requests: no byte from Ollama for this long (before the head, or between two pieces
   * of the body) ends the request (`--upstream-timeout`). A stream that keeps flowing is never cut.
   * @default 300000 (5 min)
   */
  upstreamTimeoutMs?: number;
}

export interface UpstreamRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  headers: IncomingHttpHeaders;
  body?: Buffer | NodeJS.ReadableStream | null;
  /** An AbortSignal, or an EventEmitter with `aborted` that emits 'abort' (undici takes both). */
  signal?: AbortSignal | EventEmitter;
  /**
   * End the request once Ollama has sent nothing for this long, before the head (undici's
   * `headersTimeout`) or between body pieces (`bodyTimeout`, which does not run while the reader holds
   * the body back). Unset: no limit, as for pulls and creates, which may be quiet for long.
   */
  idleTimeoutMs?: number;
}

/** undici's error codes for `idleTimeoutMs` running out: no byte from Ollama for that long. */
export function isUpstreamTimeout(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

// RFC 9110 §7.6.1 hop-by-hop headers, plus the ones the proxy must set itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

export type OllamaClient = ReturnType<typeof createOllamaClient>;

interface RawPsModel {
  name?: string;
  model?: string;
  size?: number;
  size_vram?: number;
  context_length?: number;
  expires_at?: string;
}

/** One runner in `/api/ps`: bytes in memory (`size`) and on the GPU (`size_vram`). */
export interface PsModel {
  model: string;
  size: number;
  size_vram: number;
  context_length: number | null;
  expires_at: string | null;
}

export function createOllamaClient(options: OllamaClientOptions) {
  const { upstream } = options;
  const dispatcher =
    options.dispatcher ??
    new Pool(upstream.origin, {
      connections: options.connections ?? 16,
      // Ollama writes nothing while a model loads, which can take minutes: no header or body timeout here;
      // inference requests bring their own (`upstreamTimeoutMs`), other routes have none.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
    });
  const ownsDispatcher = !options.dispatcher;
  // Probes (`/api/ps`, `GET /`) use their own connection, off the keep-alive sockets inference uses.
  const control: Dispatcher = options.dispatcher ?? new Pool(upstream.origin, { connections: 1, keepAliveTimeout: 10_000 });

  function forwardHeaders(headers: IncomingHttpHeaders, hasBody: boolean, length?: number): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      out[name] = value;
    }
    // Ollama on loopback refuses foreign Host headers (DNS-rebinding guard): speak as its own address.
    out.host = upstream.host;
    if (length !== undefined) out['content-length'] = String(length);
    else if (hasBody && headers['content-length']) out['content-length'] = headers['content-length'];
    return out;
  }

  return {
    upstream,

    /** `--upstream-timeout`: what inference requests pass as `idleTimeoutMs`. */
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 300_000,

    request(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
      const isBuffer = Buffer.isBuffer(req.body);
      const hasBody = req.body != null;
      return dispatcher.request({
        origin: upstream.origin,
        method: req.method as Dispatcher.HttpMethod,
        path: upstream.prefix + req.path,
        headers: forwardHeaders(req.headers, hasBody, isBuffer ? (req.body as Buffer).length : undefined),
        body: req.body as Dispatcher.DispatchOptions['body'],
        signal: req.signal,
        ...(req.idleTimeoutMs ? { headersTimeout: req.idleTimeoutMs, bodyTimeout: req.idleTimeoutMs } : {}),
      });
    },

    /** The runners Ollama holds in memory now (`/api/ps`), with normalised model names. */
    async ps(signal?: AbortSignal): Promise<PsModel[]> {
      const res = await control.request({
        origin: upstream.origin,
        method: 'GET',
        path: `${upstream.prefix}/api/ps`,
        headers: { host: upstream.host },
        signal: signal ?? AbortSignal.timeout(2000),
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`/api/ps answered ${res.statusCode}`);
      }
      const data = (await res.body.json()) as { models?: RawPsModel[] | null };
      const out: PsModel[] = [];
      for (const m of data.models ?? []) {
        const model = normalizeModel(m.model ?? m.name ?? '');
        if (!model) continue;
        const size = typeof m.size === 'number' ? m.size : 0;
        out.push({
          model,
          size,
          size_vram: typeof m.size_vram === 'number' ? m.size_vram : size,
          context_length: m.context_length ?? null,
          expires_at: m.expires_at ?? null,
        });
      }
      return out;
    },

    /**
     * Asks Ollama to unload a model now (`keep_alive: 0` with no prompt: `done_reason: "unload"`).
     * Best effort: a failure only means Ollama picks what to evict itself.
     */
    async unload(model: string, signal?: AbortSignal): Promise<void> {
      try {
        const res = await dispatcher.request({
          origin: upstream.origin,
          method: 'POST',
          path: `${upstream.prefix}/api/generate`,
          headers: { host: upstream.host, 'content-type': 'application/json' },
          body: JSON.stringify({ model, keep_alive: 0 }),
          signal: signal ?? AbortSignal.timeout(5000),
        });
        await res.body.dump();
      } catch {
        // Ollama will evict by its own rule.
      }
    },

    /** True if something answers `GET /` at the upstream. */
    async isUp(timeoutMs = 1000): Promise<boolean> {
      try {
        const res = await control.request({
          origin: upstream.origin,
          method: 'GET',
          path: `${upstream.prefix}/`,
          headers: { host: upstream.host },
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body.dump();
        return res.statusCode < 500;
      } catch {
        return false;
      }
    },

    async close(): Promise<void> {
      if (ownsDispatcher) await Promise.all([dispatcher.close(), control.close()]);
    },

    /** Normalised names of the models Ollama has installed (`/api/tags`). */
    async tags(signal?: AbortSignal): Promise<string[]> {
      const res = await control.request({
        origin: upstream.origin,
        method: 'GET',
        path: `${upstream.prefix}/api/tags`,
        headers: { host: upstream.host },
        signal: signal ?? AbortSignal.timeout(2000),
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`/api/tags answered ${res.statusCode}`);
      }
      const data = (await res.body.json()) as { models?: { name?: string; model?: string }[] | null };
      return (data.models ?? []).map((m) => normalizeModel(m.model ?? m.name ?? '')).filter(Boolean);
    },
  };
}
