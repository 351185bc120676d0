/**
 * Errors are thrown as HttpError and rendered once, in the shape of the surface they came from:
 * Ollama's `{"error":"…"}` on native routes, the OpenAI shape on `/v1`.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorReply, type Flavor } from '../ollama/wire.js';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export function flavorOf(url: string): Flavor {
  return url.startsWith('/v1/') ? 'openai' : 'native';
}

/** For code paths that own the raw response (after `reply.hijack()`). */
export function writeError(res: ServerResponse, flavor: Flavor, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { contentType, body } = errorReply(flavor, status, message);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const FASTIFY_MESSAGES: Record<string, (e: FastifyError, limit: number) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, limit) => `request body is larger than foreman's limit of ${limit} bytes`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'request body length does not match Content-Length',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'missing request body',
};

export function installErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error instanceof HttpError ? error.statusCode : error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const message = (error.code && FASTIFY_MESSAGES[error.code]?.(error, bodyLimit)) || error.message || 'internal error';
    if (status >= 500 && !(error instanceof HttpError)) request.log.error({ err: error }, 'request failed');
    const { contentType, body } = errorReply(flavorOf(request.url), status, message);
    return reply.code(status).type(contentType).send(body);
  });
}
