/**
 * foreman's errors, defined once with a code (`@fastify/error`) and rendered by one handler in the
 * shape of the surface they came from: Ollama's `{"error":"…"}` on native routes, the OpenAI shape on
 * `/v1`. Handlers throw these; they never build an error reply themselves.
 */
import type { ServerResponse } from 'node:http';
import createError from '@fastify/error';
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorReply, type Flavor } from '../ollama/wire.js';

/** A status and words composed at the throw site, for Ollama's own messages on the passthrough; the rest of foreman throws the coded errors below. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const coded = <Args extends unknown[]>(code: string, message: string, status: number) => createError<Args>(code, message, status);

// Jobs, passthrough and /jobs alike.
export const JobNotFound = coded<[id: string]>('FOREMAN_JOB_NOT_FOUND', 'job %s not found', 404);
export const JobNotActive = coded<[id: string]>('FOREMAN_JOB_NOT_ACTIVE', 'job %s is not queued or working', 409);
export const JobEnded = coded<[id: string, state: string]>('FOREMAN_JOB_ENDED', 'job %s already %s', 409);

// POST /jobs and GET /jobs.
export const JsonBodyRequired = coded<[]>(
  'FOREMAN_JSON_BODY_REQUIRED',
  'POST /jobs wants a JSON body with Content-Type: application/json',
  400,
);
export const BodyTooDeep = coded<[levels: number]>('FOREMAN_BODY_TOO_DEEP', 'request body nests deeper than %s levels', 400);
export const WebhookUrlRefused = coded<[reason: string]>('FOREMAN_WEBHOOK_URL_REFUSED', '%s', 400);
export const BadIdempotencyKey = coded<[]>('FOREMAN_BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be one value of 1 to 255 characters', 400);
export const IdempotencyConflict = coded<[key: string, jobId: string]>(
  'FOREMAN_IDEMPOTENCY_CONFLICT',
  'Idempotency-Key "%s" was already used for job %s with a different request',
  422,
);
export const MetadataTooLarge = coded<[kib: number]>('FOREMAN_METADATA_TOO_LARGE', 'metadata is larger than %s KiB', 413);
export const CannotStoreJob = coded<[code: string, detail: string]>(
  'FOREMAN_CANNOT_STORE_JOB',
  'foreman cannot store the job (%s: %s); nothing was created, try again later',
  507,
);
export const UnknownCursor = coded<[cursor: string]>(
  'FOREMAN_UNKNOWN_CURSOR',
  'unknown cursor "%s": pass a next_cursor from a previous page',
  400,
);

// The webhook delivery log.
export const DeliveryNotFound = coded<[id: string]>('FOREMAN_DELIVERY_NOT_FOUND', 'delivery %s not found', 404);
export const DeliverySending = coded<[id: string]>('FOREMAN_DELIVERY_SENDING', 'delivery %s is being sent now', 409);
export const DeliveryPending = coded<[id: string]>('FOREMAN_DELIVERY_PENDING', 'delivery %s is still pending', 409);
export const BadTime = coded<[field: string]>('FOREMAN_BAD_TIME', '%s must be an ISO 8601 time or milliseconds since the epoch', 400);

// The Ollama supervisor.
export const OllamaNotManaged = coded<[]>(
  'FOREMAN_OLLAMA_NOT_MANAGED',
  'foreman does not manage Ollama here: start it with --manage-ollama',
  409,
);

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
    // foreman's own errors are expected answers; anything else at 5xx is a bug worth a log line.
    const ours = error instanceof HttpError || error.code?.startsWith('FOREMAN_');
    if (status >= 500 && !ours) request.log.error({ err: error }, 'request failed');
    const { contentType, body } = errorReply(flavorOf(request.url), status, message);
    return reply.code(status).type(contentType).send(body);
  });
}
