/**
 * Raw `node:http` plumbing that makes responses look like Go's `net/http` + gin: only Content-Type,
 * Date and framing headers, Content-Length on buffered bodies, chunked streams, no `Connection`
 * header, and bodies parsed whatever the request Content-Type says.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeGoJson } from '../ollama/go-json.js';

export type Headers = Record<string, string | string[]>;

/** Node adds `Connection: keep-alive`; Go does not. Removing it keeps the socket persistent. */
export function prepareResponse(res: ServerResponse): void {
  res.removeHeader('connection');
}

export function sendBody(res: ServerResponse, status: number, contentType: string | undefined, body: string, extra: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Headers = { ...extra };
  if (contentType) headers['Content-Type'] = contentType;
  if (status !== 204 && status !== 304) headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(status === 204 || status === 304 ? undefined : body);
}

/** gin's `AbortWithStatus`: a status, no body, no Content-Type. */
export function sendStatus(res: ServerResponse, status: number, extra: Headers = {}): void {
  sendBody(res, status, undefined, '', extra);
}

/** Starts a streamed (chunked) response if nothing was written yet. */
export function startStream(res: ServerResponse, contentType: string, extra: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'Content-Type': contentType, ...extra });
}

export function writeChunk(res: ServerResponse, text: string): void {
  if (!res.destroyed && !res.writableEnded) res.write(text);
}

export function endResponse(res: ServerResponse, text?: string): void {
  if (!res.destroyed && !res.writableEnded) res.end(text);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
    req.on('close', () => reject(new Error('request closed before its body ended')));
  });
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

/** `ShouldBindJSON`: one Go decode; an empty body is `EOF`, which handlers turn into "missing request body". */
export function parseBody(body: Buffer): ParsedBody {
  return decodeGoJson(body);
}
