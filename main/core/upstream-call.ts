/**
 * One job's life against Ollama, shared by the passthrough and by /jobs: a granted slot goes in, the
 * request is sent, the answer's bytes are teed to the board (and piped to the client, if one waits on
 * the socket), and an outcome comes out. Failures are data, never exceptions.
 */
import type { ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { OllamaClient } from '../ollama/client.js';
import type { Flavor, InferenceApi } from '../ollama/wire.js';
import type { JobOutcome } from '../store/store.js';
import { assembleTranscript } from '../ollama/transcript.js';
import { pipeBody, writeUpstreamHead } from './pipe.js';

export type UpstreamOutcome =
  /** The whole answer arrived (and, when piped, was handed to the client). */
  | { kind: 'answered'; upstream: Dispatcher.ResponseData }
  /** The caller aborted, or the client left: nobody wants the rest. */
  | { kind: 'stopped'; upstream: Dispatcher.ResponseData | null }
  /** No answer at all: refused, reset or timed out before the head. */
  | { kind: 'unreachable'; message: string }
  /** The answer began and broke off. */
  | { kind: 'broke'; upstream: Dispatcher.ResponseData; message: string };

export interface UpstreamCall {
  ollama: OllamaClient;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  signal: AbortSignal;
  /** Where the answer goes unchanged (head and bytes); none for a /jobs run. */
  client?: ServerResponse;
  /** Every chunk, after the client has it (the transcript tee). */
  onChunk(chunk: Buffer): void;
  /** Models to unload before the request, to make room for its runner (`Slot.unloadFirst`). */
  unloadFirst?: readonly string[];
}

/** Why Ollama gave no answer, naming the address foreman tried. */
export function unreachableMessage(ollama: OllamaClient, err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return `could not reach Ollama at ${ollama.upstream.origin}: ${e.cause?.message ?? e.message ?? String(err)}`;
}

export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const { ollama, signal, client, onChunk } = call;
  for (const model of call.unloadFirst ?? []) await ollama.unload(model, signal);
  let upstream: Dispatcher.ResponseData;
  try {
    if (signal.aborted) return { kind: 'stopped', upstream: null };
    upstream = await ollama.request({ method: 'POST', path: call.path, headers: call.headers, body: call.body, signal });
  } catch (err) {
    return signal.aborted ? { kind: 'stopped', upstream: null } : { kind: 'unreachable', message: unreachableMessage(ollama, err) };
  }
  try {
    if (client) {
      writeUpstreamHead(client, upstream);
      if ((await pipeBody(client, upstream.body, { onChunk })) === 'client-gone') return { kind: 'stopped', upstream };
    } else {
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) onChunk(chunk);
    }
    return { kind: 'answered', upstream };
  } catch (err) {
    if (signal.aborted) return { kind: 'stopped', upstream };
    return { kind: 'broke', upstream, message: `Ollama's answer broke off: ${(err as Error).message}` };
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
  const t = assembleTranscript({ api, flavor, status: upstream.statusCode, contentType: String(upstream.headers['content-type'] ?? ''), body: bytes });
  return {
    state: t.error ? 'failed' : 'succeeded',
    finishedAt,
    statusCode: upstream.statusCode,
    error: t.error,
    response: t.error ? null : t.response,
    ...t.figures,
  };
}
