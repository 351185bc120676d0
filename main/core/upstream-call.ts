/**
 * One job's life against Ollama, shared by the passthrough and by /jobs: a granted slot goes in, the
 * request is sent, the answer's bytes are teed to the board (and piped to the client, if one waits on
 * the socket), and an outcome comes out. Failures are data, never exceptions.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { isUpstreamTimeout, type OllamaClient } from '../ollama/client.js';
import type { Flavor, InferenceApi } from '../ollama/wire.js';
import type { JobOutcome } from '../store/store.js';
import { assembleTranscript } from '../ollama/transcript.js';
import { noteTail, pipeBody, writeUpstreamHead, type StreamTail } from './pipe.js';

export type UpstreamOutcome =
  /** The whole answer arrived (and, when piped, was handed to the client). */
  | { kind: 'answered'; upstream: Dispatcher.ResponseData }
  /** The caller aborted, or the client left: nobody wants the rest. */
  | { kind: 'stopped'; upstream: Dispatcher.ResponseData | null; tail: StreamTail }
  /**
   * No answer at all: refused, reset before the head (502), or no byte for `--upstream-timeout` before
   * the head (504). Nothing was written to the client.
   */
  | { kind: 'unreachable'; message: string; status: 502 | 504 }
  /**
   * The answer began and broke off: the connection closed (502) or Ollama sent nothing more for
   * `--upstream-timeout` (504). `headSent` says whether the client already has the head; `tail` holds
   * the last bytes it was given.
   */
  | { kind: 'broke'; upstream: Dispatcher.ResponseData; message: string; status: 502 | 504; headSent: boolean; tail: StreamTail };

/**
 * A request's stop switch, where a whole AbortController is not needed: undici takes an EventEmitter
 * as its `signal`, and an AbortSignal (an EventTarget) plus undici's listener on it cost ≈ 40 µs of
 * CPU per request (bench/RESULTS.md, Overhead). `signal` is the switch itself, so code written for an
 * AbortController reads the same.
 */
export class RequestAbort extends EventEmitter {
  aborted = false;

  get signal(): this {
    return this;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }

  /** The same switch as an AbortSignal, made on demand for APIs that want one. */
  toAbortSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort();
    else this.once('abort', () => controller.abort());
    return controller.signal;
  }
}

export interface UpstreamCall {
  ollama: OllamaClient;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  signal: AbortSignal | RequestAbort;
  /** Where the answer goes unchanged (head and bytes); none for a /jobs run. */
  client?: ServerResponse;
  /** Every chunk, after the client has it (the transcript tee). */
  onChunk(chunk: Buffer): void;
  /** Models to unload before the request, to make room for its runner (`Slot.unloadFirst`). */
  unloadFirst?: readonly string[];
}

/** Why Ollama gave no answer, naming the address foreman tried. */
export function unreachableMessage(ollama: OllamaClient, err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } };
  const why = e.cause?.message ?? e.message ?? String(err);
  // Connected, sent the request, and the connection closed with no answer: Ollama stopped or crashed.
  if (e.code === 'UND_ERR_SOCKET') return `Ollama at ${ollama.upstream.origin} closed the connection without answering (${why})`;
  return `could not reach Ollama at ${ollama.upstream.origin}: ${why}`;
}

/** Why an answer that had begun stopped: the connection to Ollama closed before its end. */
export function brokeMessage(ollama: OllamaClient, err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const why = e.cause?.message ?? e.message ?? String(err);
  return `Ollama at ${ollama.upstream.origin} closed the connection in the middle of its answer (${why}); the answer is incomplete`;
}

/** `300000` → `5m`, `90000` → `1m30s`, `1500` → `1.5s`, `250` → `250ms`: as `--upstream-timeout` takes them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 1000 !== 0) return `${+(ms / 1000).toFixed(3)}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

function silentMessage(ollama: OllamaClient, midAnswer: boolean): string {
  const limit = `${formatDuration(ollama.upstreamTimeoutMs)} (foreman --upstream-timeout)`;
  return midAnswer
    ? `Ollama at ${ollama.upstream.origin} stopped sending for ${limit}; the answer is incomplete`
    : `Ollama at ${ollama.upstream.origin} sent nothing for ${limit}`;
}

/**
 * A JSON answer (`stream: false`) is held until it is complete, up to this size, and only then given
 * to the client, head and all: Ollama writes such an answer in one piece once it is done, so holding
 * costs nothing, and an answer that breaks off can still get an error reply instead of a cut body.
 */
const HOLD_JSON_BYTES = 8 * 1024 * 1024;

function isJson(upstream: Dispatcher.ResponseData): boolean {
  return String(upstream.headers['content-type'] ?? '').startsWith('application/json');
}

/**
 * Holds a JSON answer, then hands it over whole; past HOLD_JSON_BYTES it is piped like any other.
 * Read with 'data' events, not an async iterator: a JSON answer is one or two chunks, and the
 * iterator's promises and stream bookkeeping cost ≈ 25 µs of CPU per request (bench/RESULTS.md).
 */
function holdThenSend(
  client: ServerResponse,
  upstream: Dispatcher.ResponseData,
  onChunk: (chunk: Buffer) => void,
): Promise<'complete' | 'client-gone'> {
  const body = upstream.body;
  return new Promise((resolve, reject) => {
    const held: Buffer[] = [];
    let size = 0;
    const stop = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      held.push(chunk);
      onChunk(chunk);
      size += chunk.length;
      if (size <= HOLD_JSON_BYTES) return;
      stop();
      body.pause();
      writeUpstreamHead(client, upstream);
      for (const c of held) client.write(c);
      pipeBody(client, body, { onChunk }).then(resolve, reject);
    };
    const onEnd = () => {
      stop();
      if (client.destroyed) return resolve('client-gone');
      writeUpstreamHead(client, upstream);
      client.end(held.length === 1 ? held[0] : Buffer.concat(held, size));
      resolve('complete');
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
  });
}

export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const { ollama, signal, client, onChunk } = call;
  const idleTimeoutMs = ollama.upstreamTimeoutMs;
  if (call.unloadFirst?.length) {
    const bounded = AbortSignal.any([signal instanceof RequestAbort ? signal.toAbortSignal() : signal, AbortSignal.timeout(idleTimeoutMs)]);
    for (const model of call.unloadFirst) await ollama.unload(model, bounded);
  }
  const tail: StreamTail = { prev: null, last: null };
  let upstream: Dispatcher.ResponseData;
  try {
    if (signal.aborted) return { kind: 'stopped', upstream: null, tail };
    upstream = await ollama.request({ method: 'POST', path: call.path, headers: call.headers, body: call.body, signal, idleTimeoutMs });
  } catch (err) {
    if (signal.aborted) return { kind: 'stopped', upstream: null, tail };
    return isUpstreamTimeout(err)
      ? { kind: 'unreachable', status: 504, message: silentMessage(ollama, false) }
      : { kind: 'unreachable', status: 502, message: unreachableMessage(ollama, err) };
  }
  try {
    if (client) {
      let piped: 'complete' | 'client-gone';
      if (isJson(upstream)) {
        piped = await holdThenSend(client, upstream, onChunk);
      } else {
        writeUpstreamHead(client, upstream);
        piped = await pipeBody(client, upstream.body, {
          onChunk(chunk) {
            noteTail(tail, chunk);
            onChunk(chunk);
          },
        });
      }
      if (piped === 'client-gone') return { kind: 'stopped', upstream, tail };
    } else {
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) onChunk(chunk);
    }
    return { kind: 'answered', upstream };
  } catch (err) {
    if (signal.aborted) return { kind: 'stopped', upstream, tail };
    const headSent = client?.headersSent ?? false;
    if (isUpstreamTimeout(err)) return { kind: 'broke', upstream, status: 504, message: silentMessage(ollama, true), headSent, tail };
    return { kind: 'broke', upstream, status: 502, headSent, tail, message: brokeMessage(ollama, err) };
  }
}

/** What the job record says about a complete answer: Ollama's error, or the assembled answer and figures. */
export function answeredOutcome(
  upstream: Dispatcher.ResponseData,
  api: InferenceApi,
  flavor: Flavor,
  bytes: Buffer,
  finishedAt: number,
): JobOutcome {
  const t = assembleTranscript({
    api,
    flavor,
    status: upstream.statusCode,
    contentType: String(upstream.headers['content-type'] ?? ''),
    body: bytes,
  });
  return {
    state: t.error ? 'failed' : 'succeeded',
    finishedAt,
    statusCode: upstream.statusCode,
    error: t.error,
    response: t.error ? null : t.response,
    ...t.figures,
  };
}
