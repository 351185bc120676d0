/**
 * Copies an upstream response to the client unchanged: status, end-to-end headers, body bytes as they
 * arrive (each chunk written and flushed on its own, never re-framed), with backpressure both ways.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_NDJSON, CT_SSE, nativeErrorBody, openaiErrorBody } from '../ollama/wire.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'trailer']);

export function writeUpstreamHead(res: ServerResponse, upstream: Dispatcher.ResponseData): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  // Keep Ollama's own Date rather than adding a second one.
  if (headers.date) res.sendDate = false;
  res.writeHead(upstream.statusCode, headers);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export interface PipeOptions {
  /** Called with every chunk after it was handed to the client (the transcript tee). */
  onChunk?: (chunk: Buffer) => void;
}

/**
 * Resolves 'complete' once the last byte was handed to the client, 'client-gone' if the client left
 * first; rejects if the upstream body failed mid-way.
 */
export async function pipeBody(
  res: ServerResponse,
  body: Dispatcher.ResponseData['body'],
  options: PipeOptions = {},
): Promise<'complete' | 'client-gone'> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (res.destroyed) return 'client-gone';
    const ok = res.write(chunk);
    options.onChunk?.(chunk);
    if (!ok) await drained(res);
  }
  if (res.destroyed) return 'client-gone';
  res.end();
  return 'complete';
}

/** The last bytes handed to the client, to end a broken stream on a line (or event) boundary. */
export interface StreamTail {
  /** The chunk before `last`: an event may span two chunks. */
  prev: Buffer | null;
  last: Buffer | null;
}

export function noteTail(tail: StreamTail, chunk: Buffer): void {
  tail.prev = tail.last;
  tail.last = chunk;
}

function endsWith(tail: StreamTail, suffix: string): boolean {
  const last = tail.last;
  if (!last || last.length === 0) return true;
  const have = last.length >= suffix.length || !tail.prev ? last : Buffer.concat([tail.prev, last]);
  return have.subarray(-suffix.length).toString('latin1') === suffix;
}

/** The `sequence_number` the next `/v1/responses` event takes (one past the last one sent). */
function nextSequence(tail: StreamTail): number {
  const text = Buffer.concat([tail.prev ?? Buffer.alloc(0), tail.last ?? Buffer.alloc(0)]).toString('utf8');
  let n = -1;
  for (const m of text.matchAll(/"sequence_number":(\d+)/g)) n = Number(m[1]);
  return n + 1;
}

/**
 * The bytes that end a stream whose upstream broke off after its head was sent, the way each surface
 * reports a failed stream, so clients raise the message instead of a cut connection:
 * - NDJSON (native): one more line, `{"error":"…"}`, as Ollama ends a generation that fails.
 * - `/v1/chat/completions`, `/v1/completions`: `data: {"error":{…OpenAI error shape…}}`; openai-node
 *   throws an `APIError` with the message. No `[DONE]` follows.
 * - `/v1/responses`: the Responses API's `event: error` with `{type, code, message, param, sequence_number}`.
 * - `/v1/messages`: Anthropic's `event: error` with `{"type":"error","error":{"type":"api_error","message"}}`.
 * A partial last line or event is closed first, so the error stands on its own line.
 * Null for any other body (a JSON answer cannot take more bytes and stay valid): the caller cuts it.
 */
export function streamErrorTrailer(path: string, contentType: string, message: string, tail: StreamTail): string | null {
  const route = path.split('?')[0] ?? '';
  if (contentType.startsWith(CT_NDJSON)) {
    return `${endsWith(tail, '\n') ? '' : '\n'}${nativeErrorBody(message)}\n`;
  }
  if (!contentType.startsWith(CT_SSE)) return null;
  const close = endsWith(tail, '\n\n') ? '' : endsWith(tail, '\n') ? '\n' : '\n\n';
  if (route === '/v1/responses') {
    const event = goJsonStringify({ type: 'error', code: null, message, param: null, sequence_number: nextSequence(tail) });
    return `${close}event: error\ndata: ${event}\n\n`;
  }
  if (route === '/v1/messages') {
    return `${close}event: error\ndata: ${goJsonStringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`;
  }
  return `${close}data: ${openaiErrorBody(500, message)}\n\n`;
}
