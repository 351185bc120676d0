/**
 * JSON schemas of the /jobs surface: Fastify validates requests with them, and the OpenAPI document
 * foreman serves is built from the same objects, so the two cannot drift.
 */
/** Deeper JSON than this gets 400 (Ollama's own requests nest a few levels). */
export const MAX_JSON_DEPTH = 1000;
/** `metadata` is returned with the job and in every webhook; larger than this (as JSON) gets 413. */
export const MAX_METADATA_BYTES = 64 * 1024;

export const submitBody = {
  type: 'object',
  required: ['api', 'request'],
  additionalProperties: false,
  properties: {
    api: { type: 'string', enum: ['chat', 'generate', 'embed'], description: 'The Ollama API the request runs as.' },
    request: {
      type: 'object',
      required: ['model'],
      properties: { model: { type: 'string', minLength: 1 } },
      description: 'The Ollama request body, exactly as for /api/chat, /api/generate or /api/embed.',
    },
    webhook: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: { url: { type: 'string', minLength: 1, description: 'http(s) URL that receives Standard Webhooks.' } },
    },
    metadata: { type: 'object', description: 'Anything up to 64 KiB of JSON; returned with the job and in every webhook.' },
    priority: { type: 'integer', minimum: -100, maximum: 100, default: 0, description: 'Higher runs first within its model.' },
  },
} as const;

export const jobIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['queued', 'working', 'succeeded', 'failed', 'canceled'] },
    model: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

export const jobSchema = {
  type: 'object',
  required: ['id', 'state', 'api', 'model', 'created_at', 'attempts'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'working', 'succeeded', 'failed', 'canceled'] },
    api: { type: 'string', enum: ['chat', 'generate', 'embed'] },
    model: { type: 'string' },
    priority: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
    started_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    result: { description: 'What Ollama returns for the same request with stream: false; null until succeeded.' },
    error: { type: ['string', 'null'] },
    metadata: {},
    attempts: { type: 'integer', description: 'Times the job started working (a crash re-queues it).' },
    webhook: { type: ['object', 'null'], properties: { url: { type: 'string' } } },
  },
} as const;

const errorSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } as const;

export function openApiDocument(): Record<string, unknown> {
  const job = { $ref: '#/components/schemas/Job' };
  const err = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const ok = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'foreman async jobs',
      version: '1',
      description:
        'Submit Ollama work, poll it, cancel it, or be told by Standard Webhooks (job.queued, job.working, job.succeeded, job.failed, job.canceled).',
    },
    paths: {
      '/jobs': {
        post: {
          summary: 'Submit a job',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              schema: { type: 'string', maxLength: 255 },
              description: 'The same key returns the same job, never a second one.',
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: submitBody } } },
          responses: {
            202: ok('Accepted; Location: /jobs/<id>', job),
            400: err('Bad input; nothing was created'),
            413: err('Body or metadata too large; nothing was created'),
            415: err('Content-Type is not application/json'),
            422: err('Idempotency-Key reused with a different request'),
            507: err('foreman cannot write to its database now (disk full); nothing was created'),
          },
        },
        get: {
          summary: 'List jobs, newest first',
          parameters: Object.entries(listQuery.properties).map(([name, schema]) => ({ name, in: 'query', schema })),
          responses: {
            200: ok('A page of jobs', {
              type: 'object',
              properties: { jobs: { type: 'array', items: job }, next_cursor: { type: ['string', 'null'] } },
            }),
            400: err('Bad query, or a cursor that is not a job id'),
          },
        },
      },
      '/jobs/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        get: { summary: 'Get a job', responses: { 200: ok('The job', job), 404: err('No such job') } },
        delete: {
          summary: 'Cancel a job (a working job has its Ollama request aborted)',
          responses: { 200: ok('The canceled job', job), 404: err('No such job'), 409: err('The job already ended') },
        },
      },
    },
    components: { schemas: { Job: jobSchema, Error: errorSchema, SubmitJob: submitBody } },
  };
}
