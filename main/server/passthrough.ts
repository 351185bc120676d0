/**
 * Ollama's own API at Ollama's paths. Inference requests become jobs and wait for the scheduler;
 * everything else is piped straight to the upstream, including paths foreman has never heard of,
 * so Ollama answers its own 404s and 405s.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Store } from '../store/store.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { OllamaClient } from '../ollama/client.js';
import type { Upstreams } from '../hosts/upstreams-runtime.js';
import { decodeGoJson } from '../ollama/go-json.js';
import { isCloudModel } from '../ollama/model-name.js';
import { BUSY_MESSAGE, INFERENCE_ROUTES, type InferenceRoute } from '../ollama/wire.js';
import { newJobId } from '../core/ids.js';
import type { JobBoard } from '../core/job-board.js';
import { pickFigures } from '../../shared/types.js';
import { runnerOf } from '../scheduler/runner-key.js';
import { chooseKeepAlive, withKeepAlive } from '../scheduler/keep-alive-hold.js';
import {
  RequestAbort,
  answeredOutcome,
  brokeMessage,
  callUpstream,
  unreachableMessage,
  type UpstreamOutcome,
} from '../core/upstream-call.js';
import { HttpError, flavorOf, writeError } from './errors.js';
import { noteTail, pipeBody, streamErrorTrailer, writeUpstreamHead, type StreamTail } from '../core/pipe.js';

export interface PassthroughDeps {
  store: Store;
  scheduler: Scheduler;
  /** The hosts: a job's request goes to the one its slot names. */
  upstreams: Upstreams;
  clock: Clock;
  board: JobBoard;
}

/** Ollama's own words for a request canceled while it is scheduled (status 499). */
const CANCELED_MESSAGE = 'request canceled';

/**
 * Ends a stream that cannot go on, the way its surface reports a failed stream (one more `{"error":…}`
 * line for NDJSON, the OpenAI or Anthropic error event for `/v1` SSE), so clients raise the message
 * instead of a cut connection. Before the head it is an ordinary error reply; a body that cannot take
 * an error (a JSON answer past its head) is cut, so the client sees it incomplete, never complete.
 */
function endWithError(
  res: ServerResponse,
  route: InferenceRoute,
  path: string,
  status: number,
  message: string,
  upstream: Dispatcher.ResponseData | null,
  tail: StreamTail,
): void {
  if (!res.headersSent) return writeError(res, route.flavor, status, message);
  if (res.writableEnded || res.destroyed) return;
  const trailer = streamErrorTrailer(path, String(upstream?.headers['content-type'] ?? ''), message, tail);
  if (trailer === null) res.destroy();
  else res.end(trailer);
}

const EMPTY = Buffer.alloc(0);

/**
 * What the passthrough reads of a request and uses of a reply: Fastify's objects, or the raw pair on
 * the fast path for inference POSTs (`createInferenceFastPath`), which skips Fastify altogether.
 */
export interface PassRequest {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
  ip: string;
}
export interface PassReply {
  raw: ServerResponse;
  hijack(): unknown;
}

/** Streams any request to the upstream and its answer back, untouched. No job, no queue. */
async function forward(ollama: OllamaClient, request: PassRequest, reply: PassReply, body: Buffer | Readable | undefined) {
  reply.hijack();
  const res = reply.raw;
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) abort.abort();
  };
  res.on('close', onClose);
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await ollama.request({ method: request.method, path: request.url, headers: request.headers, body, signal: abort.signal });
  } catch (err) {
    if (!abort.signal.aborted) writeError(res, flavorOf(request.url), 502, unreachableMessage(ollama, err));
    return;
  }
  writeUpstreamHead(res, upstream);
  const tail: StreamTail = { prev: null, last: null };
  try {
    await pipeBody(res, upstream.body, { onChunk: (chunk) => noteTail(tail, chunk) });
  } catch (err) {
    // A pull or create whose progress stream breaks off ends with an error line, like the inference routes.
    const trailer = abort.signal.aborted
      ? null
      : streamErrorTrailer(request.url, String(upstream.headers['content-type'] ?? ''), brokeMessage(ollama, err), tail);
    if (trailer === null || res.destroyed) res.destroy();
    else res.end(trailer);
  } finally {
    res.off('close', onClose);
  }
}

/** Who sent a request, as the window shows it: address and user agent. */
export function clientOf(request: Pick<PassRequest, 'headers' | 'ip'>): string {
  const ua = request.headers['user-agent'];
  return ua ? `${request.ip} ${ua}` : request.ip;
}

/**
 * The inference routes' handler, for Fastify's routes (`passthroughPlugin`) and for the fast path in
 * front of Fastify (`build-server.ts`): one handler, so both answer alike. It throws `HttpError`s
 * before the reply is hijacked; each caller renders them.
 */
export function createInferenceHandler(deps: PassthroughDeps) {
  const { store, scheduler, upstreams, clock, board } = deps;
  // What does not become a job (no model, a cloud model) goes to the first host.
  const ollama = upstreams.client('');

  async function runJob(
    route: InferenceRoute,
    request: PassRequest,
    reply: PassReply,
    raw: Buffer,
    text: string,
    body: Record<string, unknown>,
    model: string,
    stream: boolean,
  ) {
    const id = newJobId();
    const lane = runnerOf(model, body.options).key;
    const createdAt = clock.now();
    const client = clientOf(request);
    store.later.insertJob({
      id,
      source: 'passthrough',
      route: route.path,
      api: route.api,
      model,
      lane,
      client,
      priority: 0,
      stream,
      createdAt,
      request: text,
    });
    let ticket = scheduler.enqueue({ id, lane, cls: 0 });
    reply.hijack();
    const res: ServerResponse = reply.raw;
    // Not an AbortController: its AbortSignal and undici's listener on it cost ≈ 40 µs of CPU per request.
    const abort = new RequestAbort();
    // Who ended it early: the client by leaving, or someone at the desk from the window.
    let stoppedBy: 'client' | 'admin' | null = null;
    const onClose = () => {
      if (res.writableEnded) return;
      stoppedBy ??= 'client';
      ticket.cancel();
      abort.abort();
    };
    res.on('close', onClose);
    board.add(
      {
        id,
        source: 'passthrough',
        route: route.path,
        api: route.api,
        model,
        lane,
        state: 'queued',
        priority: 0,
        stream,
        client,
        created_at: createdAt,
        started_at: null,
        finished_at: null,
        status_code: null,
        error: null,
      },
      route.flavor,
      () => {
        stoppedBy ??= 'admin';
        ticket.cancel();
      },
    );
    const end = (outcome: Parameters<Store['finishJob']>[1]) => {
      store.later.finishJob(id, outcome);
      board.finish(id, {
        state: outcome.state,
        finished_at: outcome.finishedAt,
        status_code: outcome.statusCode ?? null,
        error: outcome.error ?? null,
        ...pickFigures(outcome),
      });
    };

    const requeue = () => {
      stoppedBy ??= 'admin';
      ticket.cancel();
    };
    let outcome: UpstreamOutcome;
    for (let attempt = 1; ; attempt++) {
      const slot = await ticket.slot;
      if (!slot) {
        if (stoppedBy === 'admin') writeError(res, route.flavor, 499, CANCELED_MESSAGE);
        end({
          state: 'canceled',
          finishedAt: clock.now(),
          statusCode: stoppedBy === 'admin' ? 499 : null,
          error: stoppedBy === 'admin' ? 'canceled from foreman while queued' : 'client disconnected while queued',
        });
        res.off('close', onClose);
        return;
      }
      if (attempt === 1) {
        const startedAt = clock.now();
        store.later.markWorking(id, startedAt);
        board.update(id, { state: 'working', started_at: startedAt, host: slot.host });
      } else board.update(id, { host: slot.host });
      store.later.noteHost(id, slot.host);
      board.onCancel(id, () => {
        stoppedBy ??= 'admin';
        abort.abort();
      });
      // Ollama's /v1 routes take no keep_alive: only native bodies set the runner's.
      const keep = route.flavor === 'native' ? chooseKeepAlive(body.keep_alive, slot.holdRunner) : chooseKeepAlive(undefined, false);
      slot.keepAlive(keep.ms);
      if (keep.sent) store.later.noteKeepAliveSent(id, keep.sent);
      outcome = await callUpstream({
        ollama: upstreams.client(slot.host),
        path: request.url,
        headers: request.headers,
        body: keep.sent ? withKeepAlive(raw, keep.sent) : raw,
        signal: abort.signal,
        client: res,
        onChunk: (chunk) => board.chunk(id, chunk),
        unloadFirst: slot.unloadFirst,
      });
      slot.release();
      if (outcome.kind !== 'unreachable') break;
      upstreams.failed(slot.host, outcome.message);
      // Nothing reached the client yet: another host may answer it (each host at most once).
      if (res.headersSent || abort.signal.aborted || attempt >= upstreams.monitors.length || !upstreams.canFailOver(slot.host)) break;
      ticket = scheduler.enqueue({ id, lane, cls: 0 });
      board.onCancel(id, requeue);
    }
    res.off('close', onClose);
    if (outcome.kind === 'unreachable') writeError(res, route.flavor, outcome.status, outcome.message);
    else if (outcome.kind === 'broke')
      endWithError(res, route, request.url, outcome.status, outcome.message, outcome.upstream, outcome.tail);
    // Canceled from the window: `request canceled` (499), as Ollama words a canceled request.
    else if (outcome.kind === 'stopped' && stoppedBy === 'admin')
      endWithError(res, route, request.url, 499, CANCELED_MESSAGE, outcome.upstream, outcome.tail);
    // The client has its bytes; assembling and storing the transcript waits for the next turn.
    setImmediate(() => {
      const finishedAt = clock.now();
      switch (outcome.kind) {
        case 'stopped':
          return end({
            state: 'canceled',
            finishedAt,
            statusCode: outcome.upstream?.statusCode ?? null,
            error: stoppedBy === 'admin' ? 'canceled from foreman while working' : 'client disconnected while working',
          });
        case 'unreachable':
          return end({ state: 'failed', finishedAt, statusCode: outcome.status, error: outcome.message });
        case 'broke':
          return end({
            state: 'failed',
            finishedAt,
            statusCode: outcome.headSent ? outcome.upstream.statusCode : outcome.status,
            error: outcome.message,
          });
        case 'answered':
          return end(answeredOutcome(outcome.upstream, route.api, route.flavor, board.bytes(id), finishedAt));
      }
    });
  }

  return async function handleInference(route: InferenceRoute, request: PassRequest, reply: PassReply, raw: Buffer): Promise<void> {
    // Decoded once: the same text is parsed here and kept as the job's request.
    const text = raw.toString('utf8');
    const decoded = decodeGoJson(text);
    if (!decoded.ok) {
      throw new HttpError(400, decoded.message === 'EOF' && route.flavor === 'native' ? 'missing request body' : decoded.message);
    }
    const body = (decoded.value ?? {}) as Record<string, unknown>;
    const model = typeof body === 'object' && !Array.isArray(body) ? body.model : undefined;
    const streamField = body.stream;
    // Without a usable model name nothing can run; Ollama answers with its own route-specific error.
    if (typeof model !== 'string' || model.trim() === '' || (streamField != null && typeof streamField !== 'boolean')) {
      return forward(ollama, request, reply, raw);
    }
    // Cloud models run on ollama.com: they must not wait behind the local GPU.
    if (isCloudModel(model)) return forward(ollama, request, reply, raw);
    if (scheduler.waitingInteractive >= scheduler.maxQueue) throw new HttpError(503, BUSY_MESSAGE);
    const stream = typeof streamField === 'boolean' ? streamField : route.streamDefault;
    return runJob(route, request, reply, raw, text, body, model, stream);
  };
}

export type InferenceHandler = ReturnType<typeof createInferenceHandler>;

/** The inference routes in Fastify, for `inject()` and whatever the fast path leaves to Fastify. */
export async function passthroughPlugin(app: FastifyInstance, deps: { handle: InferenceHandler }): Promise<void> {
  // Ollama ignores Content-Type (`curl -d` sends form encoding), so every body is taken as bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  for (const route of INFERENCE_ROUTES) {
    app.post(route.path, (request, reply) => deps.handle(route, request, reply, (request.body as Buffer | undefined) ?? EMPTY));
  }
}

const ROUTE_BY_PATH = new Map(INFERENCE_ROUTES.map((r) => [r.path, r]));

/**
 * Inference POSTs served before Fastify sees them: routing, hooks, the body parser and the
 * Request/Reply objects cost ≈ 45 µs of CPU per request, as much as the rest of foreman's own work
 * (bench/RESULTS.md, Overhead). `serve` answers true when it took the request. `accept` applies what
 * Fastify's onRequest hooks would (Host/Origin, draining): what it refuses, and anything but an
 * inference POST (a query string included), goes to Fastify as before and gets Fastify's answer.
 */
export function createInferenceFastPath(
  handle: InferenceHandler,
  options: { bodyLimit: number; accept: (req: IncomingMessage) => boolean },
) {
  const { bodyLimit, accept } = options;
  return function serve(req: IncomingMessage, res: ServerResponse): boolean {
    const route = req.method === 'POST' ? ROUTE_BY_PATH.get(req.url ?? '') : undefined;
    if (!route || !accept(req)) return false;
    const fail = (status: number, message: string) => {
      if (!res.headersSent) writeError(res, route.flavor, status, message);
      else res.destroy();
    };
    const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
    if (declared !== null && declared > bodyLimit) {
      fail(413, `request body is larger than foreman's limit of ${bodyLimit} bytes`);
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    // A client that goes away mid-body: nothing to answer (Fastify would drop it the same way).
    req.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > bodyLimit) {
        over = true;
        fail(413, `request body is larger than foreman's limit of ${bodyLimit} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      if (declared !== null && declared !== size) return fail(400, 'request body length does not match Content-Length');
      const raw = chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, size);
      const request: PassRequest = { url: route.path, method: 'POST', headers: req.headers, ip: req.socket.remoteAddress ?? '' };
      handle(route, request, { raw: res, hijack() {} }, raw).catch((err: unknown) => {
        // HttpErrors (400, 503) as Fastify's error handler renders them; anything else is a bug: 500.
        const e = err as { statusCode?: number; message?: string };
        if (e.statusCode === undefined) console.error('foreman: inference request failed', err);
        fail(e.statusCode ?? 500, e.message ?? 'internal error');
      });
    });
    return true;
  };
}

/** Everything that is not an inference route, in a context whose body parser streams. */
export async function forwardPlugin(app: FastifyInstance, deps: { ollama: OllamaClient }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  app.setNotFoundHandler((request, reply) => {
    const body =
      request.method === 'GET' || request.method === 'HEAD' ? undefined : ((request.body as Readable | undefined) ?? request.raw);
    return forward(deps.ollama, request, reply, body);
  });
}
