/** The async /jobs surface (ADR-0004): submit, get, list with a cursor, cancel; and its OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { JobRunner, SubmitInput } from '../jobs/job-runner.js';
import type { Store } from '../store/store.js';
import type { AsyncJobStore } from '../store/async-jobs.js';
import { isStorageError } from '../store/storage-errors.js';
import type { JobState } from '../../shared/types.js';
import { jobView } from '../jobs/job-view.js';
import { normalizeModel } from '../ollama/model-name.js';
import { checkWebhookUrl, UrlPolicyError, type AddressPolicy } from '../webhooks/url-policy.js';
import {
  BadIdempotencyKey,
  BodyTooDeep,
  CannotStoreJob,
  IdempotencyConflict,
  JobEnded,
  JobNotFound,
  JsonBodyRequired,
  MetadataTooLarge,
  UnknownCursor,
  WebhookUrlRefused,
} from './errors.js';
import { clientOf } from './passthrough.js';
import { MAX_JSON_DEPTH, MAX_METADATA_BYTES, jobIdParams, listQuery, openApiDocument, submitBody } from './jobs-schemas.js';

export interface JobsDeps {
  runner: JobRunner;
  store: Store;
  jobs: AsyncJobStore;
  /** Which networks webhook receivers may be on; the dispatcher checks the same policy on every attempt. */
  addressPolicy: AddressPolicy;
}

/** True if `text` (JSON) nests arrays and objects deeper than `max`; strings are skipped, escapes too. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const compilers = AjvCompiler();
// Bodies are taken as sent: no coercion ("5", true and null are not a priority) and no silently dropped
// fields. Query strings are text, so they keep Fastify's coercion (limit=10).
const strictBody = compilers({}, { customOptions: { coerceTypes: false, removeAdditional: false } });
const coercing = compilers({}, { customOptions: {} });

interface SubmitBody {
  api: SubmitInput['api'];
  request: SubmitInput['request'];
  webhook?: { url: string };
  metadata?: Record<string, unknown>;
  priority?: number;
}

export async function jobsPlugin(app: FastifyInstance, deps: JobsDeps): Promise<void> {
  const { runner, store, jobs } = deps;
  const document = openApiDocument();

  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? strictBody(route) : coercing(route)));
  // Fastify's own JSON parser (with its __proto__ guard), behind a depth limit: what is accepted is
  // stored and sent as JSON again, and serialising 100,000 levels overflows the stack.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) return done(new BodyTooDeep(MAX_JSON_DEPTH), undefined);
    parseJson(request, body as string, done);
  });
  app.addHook('onRequest', async (request) => {
    // A body without a Content-Type is bad input like any other (Fastify would say 415).
    if (request.method === 'POST' && request.headers['content-type'] === undefined) {
      throw new JsonBodyRequired();
    }
  });

  app.get('/openapi.json', async () => document);

  app.post<{ Body: SubmitBody }>('/', { schema: { body: submitBody } }, async (request, reply) => {
    const body = request.body;
    let webhookUrl: string | null = null;
    if (body.webhook) {
      try {
        webhookUrl = checkWebhookUrl(body.webhook.url, deps.addressPolicy).href;
      } catch (err) {
        if (err instanceof UrlPolicyError) throw new WebhookUrlRefused(err.message);
        throw err;
      }
    }
    const key = request.headers['idempotency-key'];
    if (Array.isArray(key) || (key !== undefined && (key.length === 0 || key.length > 255))) {
      throw new BadIdempotencyKey();
    }
    if (body.metadata !== undefined && Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
      throw new MetadataTooLarge(MAX_METADATA_BYTES / 1024);
    }
    let result;
    try {
      result = await runner.submit({
        api: body.api,
        request: body.request,
        webhookUrl,
        metadata: body.metadata,
        priority: body.priority ?? 0,
        idempotencyKey: key ?? null,
        client: clientOf(request),
      });
    } catch (err) {
      // Never a 202 for a job that is not on disk.
      if (isStorageError(err)) throw new CannotStoreJob(err.code, err.message);
      throw err;
    }
    if ('conflict' in result) {
      throw new IdempotencyConflict(String(key), result.conflict.id);
    }
    reply.code(202).header('location', `/jobs/${result.job.id}`);
    if (!result.created) reply.header('idempotent-replayed', 'true');
    return jobView(result.job);
  });

  app.get<{ Params: { id: string } }>('/:id', { schema: { params: jobIdParams } }, async (request) => {
    const job = store.getJob(request.params.id);
    if (!job || job.source !== 'jobs') throw new JobNotFound(request.params.id);
    return jobView(job);
  });

  app.get<{ Querystring: { state?: JobState; model?: string; limit: number; cursor?: string } }>(
    '/',
    { schema: { querystring: listQuery } },
    async (request) => {
      const q = request.query;
      if (q.cursor !== undefined && store.getJob(q.cursor)?.source !== 'jobs') throw new UnknownCursor(q.cursor);
      const page = jobs.list({ state: q.state, lane: q.model ? normalizeModel(q.model) : undefined, limit: q.limit, before: q.cursor });
      return { jobs: page.map(jobView), next_cursor: page.length === q.limit ? (page.at(-1)?.id ?? null) : null };
    },
  );

  app.delete<{ Params: { id: string } }>('/:id', { schema: { params: jobIdParams } }, async (request) => {
    const before = store.getJob(request.params.id);
    if (!before || before.source !== 'jobs') throw new JobNotFound(request.params.id);
    // An ended job (canceled included) answers 409: only the call that cancels it gets a 200.
    const after = before.state === 'queued' || before.state === 'working' ? (runner.cancel(request.params.id) ?? before) : before;
    if (after === before || after.state !== 'canceled') throw new JobEnded(after.id, after.state);
    return jobView(after);
  });
}
