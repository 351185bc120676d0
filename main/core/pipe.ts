/**
 * Copies an upstream response to the client unchanged: status, end-to-end headers, body bytes as they
 * arrive (each chunk written and flushed on its own, never re-framed), with backpressure both ways.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

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
