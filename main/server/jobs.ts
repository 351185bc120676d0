/** The async /jobs surface (ADR-0004): submit, get, list with a cursor, cancel; and its OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import type { JobRunner, SubmitInput } from '../jobs/job-runner.js';
import type { Store } from '../store/store.js';
import type { AsyncJobStore } from '../store/async-jobs.js';
import { isStorageError } from '../store/storage-errors.js';
import type { JobState } from '../../shared/types.js';
import { jobView } from '../jobs/job-view.js';
import { normalizeModel } from '../ollama/model-name.js';
import { checkWebhookUrl, UrlPolicyError, type AddressPolicy } from '../webhooks/url-policy.js';
import { HttpError } from './errors.js';
import { clientOf } from './passthrough.js';
import { jobIdParams, listQuery, openApiDocument, submitBody } from './jobs-schemas.js';

export interface JobsDeps {
  runner: JobRunner;
  store: Store;
  jobs: AsyncJobStore;
  /** Which networks webhook receivers may be on; the dispatcher checks the same policy on every attempt. */
  addressPolicy: AddressPolicy;
}

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

  app.get('/openapi.json', async () => document);

  app.post<{ Body: SubmitBody }>('/', { schema: { body: submitBody } }, async (request, reply) => {
    const body = request.body;
    let webhookUrl: string | null = null;
    if (body.webhook) {
      try {
        webhookUrl = checkWebhookUrl(body.webhook.url, deps.addressPolicy).href;
      } catch (err) {
        if (err instanceof UrlPolicyError) throw new HttpError(400, err.message);
        throw err;
      }
    }
    const key = request.headers['idempotency-key'];
    if (Array.isArray(key) || (key !== undefined && (key.length === 0 || key.length > 255))) {
      throw new HttpError(400, 'Idempotency-Key must be one value of 1 to 255 characters');
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
      if (isStorageError(err)) throw new HttpError(507, `foreman cannot store the job (${err.code}: ${err.message}); nothing was created, try again later`);
      throw err;
    }
    if ('conflict' in result) {
      throw new HttpError(422, `Idempotency-Key "${key}" was already used for job ${result.conflict.id} with a different request`);
    }
    reply.code(202).header('location', `/jobs/${result.job.id}`);
    if (!result.created) reply.header('idempotent-replayed', 'true');
    return jobView(result.job);
  });

  app.get<{ Params: { id: string } }>('/:id', { schema: { params: jobIdParams } }, async (request) => {
    const job = store.getJob(request.params.id);
    if (!job || job.source !== 'jobs') throw new HttpError(404, `job ${request.params.id} not found`);
    return jobView(job);
  });

  app.get<{ Querystring: { state?: JobState; model?: string; limit: number; cursor?: string } }>('/', { schema: { querystring: listQuery } }, async (request) => {
    const q = request.query;
    const page = jobs.list({ state: q.state, lane: q.model ? normalizeModel(q.model) : undefined, limit: q.limit, before: q.cursor });
    return { jobs: page.map(jobView), next_cursor: page.length === q.limit ? (page.at(-1)?.id ?? null) : null };
  });

  app.delete<{ Params: { id: string } }>('/:id', { schema: { params: jobIdParams } }, async (request) => {
    const before = store.getJob(request.params.id);
    if (!before || before.source !== 'jobs') throw new HttpError(404, `job ${request.params.id} not found`);
    const after = runner.cancel(request.params.id) ?? before;
    if (after.state !== 'canceled') throw new HttpError(409, `job ${after.id} already ${after.state}`);
    return jobView(after);
  });
}
