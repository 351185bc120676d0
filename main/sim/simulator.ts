/**
 * A fake Ollama for tests, benchmarks and the demo: the wire format of ollama-wire.md on a plain
 * `node:http` server (Fastify would add headers Ollama never sends), with a scheduler that loads,
 * swaps, evicts and queues models the way Ollama does (sim-scheduler.ts, sim-memory.ts), and
 * deterministic answers.
 *
 * Answers are `simText(seed, n)`: the seed is the prompt (generate) or the last message (chat).
 * Markers in that text steer a request (chat, generate and the /v1 routes built on them):
 * - `[[sim:tokens=N]]`: the answer has N content tokens.
 * - `[[sim:error-after=N]]`: after N content tokens, fail the way Ollama does (an error line in a
 *   stream, a 500 otherwise).
 * - `[[sim:fail-load]]`: the model load fails with a 500 (and is tried again, whatever is loaded).
 * - `[[sim:hang]]`: the model loads and the request takes its slot, then nothing is ever sent, not
 *   even headers, until the client disconnects.
 * - `[[sim:hang-after=N]]`: stream N content tokens, then stall for good without ending (a request
 *   without streaming gets nothing at all), until the client disconnects.
 * - `[[sim:die-after=N]]`: stream N content tokens, then close the connection with no final chunk,
 *   no error line and no end of the chunked body, as if the server crashed.
 * A chat with `tools` whose last user message mentions "weather" answers with a call to the first tool.
 * `GET /__sim/stats` and `POST /__sim/reset` expose the stats to other processes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareResponse, sendBody, sendStatus, type Headers } from './sim-http.js';
import { createModelCatalog, DEFAULT_MODELS, type SimModelSpec } from './sim-models.js';
import { SimulatedCrash } from './sim-native.js';
import { matchRoute, sendRedirect, sendStatsJson, type RouteCtx, type SimRuntime } from './sim-routes.js';
import { createSimScheduler } from './sim-scheduler.js';
import { allowedOrigins, applyCors, checkHost, isLoopbackAddress } from './sim-security.js';
import { createStatsRecorder, type SimStats } from './sim-stats.js';

export type { SimModelSpec } from './sim-models.js';
export { DEFAULT_RUNNER_OPTIONS, simFootprint, type RunnerOptions } from './sim-memory.js';
export type { SimLogEntry, SimStats } from './sim-stats.js';
export { simText, simTokens } from './sim-text.js';

export interface SimulatorOptions {
  /** @default llama3.2, qwen3:0.6b (thinking), gemma3:1b, mistral, nomic-embed-text (embedding) */
  models?: (string | SimModelSpec)[];
  /** Model load time in ms. @default 150 */
  loadMs?: number;
  /** Generation rate; `Infinity` or 0 = as fast as possible. @default 50 */
  tokensPerSecond?: number;
  /** Models resident at once, like OLLAMA_MAX_LOADED_MODELS. @default 1 (so swaps show) */
  maxLoaded?: number;
  /**
   * GPU memory in MiB. A runner takes `simFootprint(model, options, parallel)` bytes and loads beside
   * others only if it fits in what they leave; otherwise idle runners are evicted as Ollama does.
   * @default Infinity (only `maxLoaded` limits)
   */
  vramMb?: number;
  /** Parallel slots per loaded model, like OLLAMA_NUM_PARALLEL. @default 1 */
  parallel?: number;
  /** Pending-load queue size, like OLLAMA_MAX_QUEUE; beyond it 503. @default 512 */
  maxQueue?: number;
  /** Idle time before a model unloads, like OLLAMA_KEEP_ALIVE; negative or `Infinity` = never. @default 300000 (5 min) */
  keepAliveMs?: number;
  /** Content tokens per answer when neither num_predict nor a marker says otherwise. @default 12 */
  defaultTokens?: number;
  /** `/api/version`. @default '0.33.0' */
  version?: string;
  /** Extra allowed CORS origins, like OLLAMA_ORIGINS (`*` allows all). @default [] */
  origins?: string[];
}

export interface Simulator {
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  stats(): SimStats;
  resetStats(): void;
  url: string | undefined;
  server: Server;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const stats = createStatsRecorder(() => scheduler.pendingLoads());
  const keepAliveMs = options.keepAliveMs ?? 300_000;
  const scheduler = createSimScheduler({
    loadMs: options.loadMs ?? 150,
    maxLoaded: options.maxLoaded ?? 1,
    parallel: options.parallel ?? 1,
    maxQueue: options.maxQueue ?? 512,
    keepAliveMs: keepAliveMs < 0 ? Infinity : keepAliveMs,
    vramBytes: (options.vramMb ?? Infinity) * 1024 * 1024,
    onLoad: (model) => stats.recordLoad(model),
    onUnload: (model, evicted) => stats.recordUnload(model, evicted),
  });
  const env: SimRuntime = {
    catalog: createModelCatalog({ models: options.models ?? DEFAULT_MODELS }),
    scheduler,
    tokensPerSecond: options.tokensPerSecond ?? 50,
    defaultTokens: options.defaultTokens ?? 12,
    blobs: new Set(),
    version: options.version ?? '0.33.0',
  };
  const origins = allowedOrigins(options.origins);
  let loopback = true;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    prepareResponse(res);
    const url = new URL(req.url ?? '/', 'http://sim');
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // gin matches the raw path when it cannot be unescaped
    }
    if (path === '/__sim/stats' && req.method === 'GET') return sendStatsJson(res, stats.snapshot());
    if (path === '/__sim/reset' && req.method === 'POST') {
      stats.reset();
      return sendStatus(res, 204);
    }

    const match = matchRoute(req.method ?? 'GET', path, url.search);
    if (match.kind === 'redirect') return sendRedirect(req, res, match.status, match.location);
    const allow: Headers = match.kind === 'not-allowed' ? { Allow: match.allow } : {};
    const cors = applyCors(req, res, origins);
    if (cors === null) return;
    const extra: Headers = { ...allow, ...cors };
    if (!checkHost(req, res, loopback, extra)) return;
    if (match.kind === 'not-found') return sendBody(res, 404, 'text/plain', '404 page not found', extra);
    if (match.kind === 'not-allowed') return sendBody(res, 405, 'text/plain', '405 method not allowed', extra);

    const abort = new AbortController();
    // `close` before the response finished means the client went away: stop working for it.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    });
    const ctx: RouteCtx = { req, res, params: match.params, extra, env, signal: abort.signal, trace: {} };
    if (!match.route.inference) return void (await match.route.handler(ctx));

    // The handler fills in the model and start time on the live log entry itself.
    const entry = stats.begin(path);
    ctx.trace = entry;
    let outcome: 'ok' | 'error' | 'aborted' = 'error';
    try {
      outcome = (await match.route.handler(ctx)) ?? 'ok';
    } finally {
      stats.end(entry, abort.signal.aborted ? 'aborted' : outcome);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A simulated crash closes the connection once what was written has gone out, and says nothing more.
      if (err instanceof SimulatedCrash) res.socket?.destroySoon();
      else if (!res.headersSent) sendBody(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: String(err) }));
      else res.destroy();
    });
  });
  // Go's server has no idle timeout, and with 0 Node stops advertising `Keep-Alive: timeout=5`.
  server.keepAliveTimeout = 0;

  const sim: Simulator = {
    url: undefined,
    server,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          loopback = isLoopbackAddress(addr.address);
          const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          sim.url = `http://${shown}:${addr.port}`;
          resolve(sim.url);
        });
      });
    },
    close() {
      scheduler.close();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
  };
  return sim;
}
