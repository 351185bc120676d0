import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { CannotStoreJob, HttpError, installErrorHandler, JobEnded, JobNotFound, WebhookUrlRefused } from './errors.js';

let app: FastifyInstance;
let logged: string[];
afterEach(() => app?.close());

async function serve(thrown: () => Error): Promise<FastifyInstance> {
  logged = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) });
  app = Fastify({ logger: { level: 'error', stream } });
  installErrorHandler(app, 1024);
  app.get('/jobs/x', async () => {
    throw thrown();
  });
  app.get('/v1/models/x', async () => {
    throw thrown();
  });
  await app.ready();
  return app;
}

describe('coded errors', () => {
  it('carry a code, a status and their message', () => {
    const e = new JobEnded('job_1', 'canceled');
    expect(e).toMatchObject({ code: 'FOREMAN_JOB_ENDED', statusCode: 409, message: 'job job_1 already canceled' });
    expect(new WebhookUrlRefused('webhook url must be http or https %s').message).toBe('webhook url must be http or https %s');
  });

  it("render in Ollama's shape on native routes and OpenAI's on /v1", async () => {
    await serve(() => new JobNotFound('job_9'));
    const native = await app.inject({ url: '/jobs/x' });
    expect(native.statusCode).toBe(404);
    expect(native.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(native.body).toBe('{"error":"job job_9 not found"}');
    const openai = await app.inject({ url: '/v1/models/x' });
    expect(openai.statusCode).toBe(404);
    expect(JSON.parse(openai.body)).toEqual({
      error: { message: 'job job_9 not found', type: 'not_found_error', param: null, code: null },
    });
  });

  it('log a 5xx only when it is not one of foreman’s own answers', async () => {
    await serve(() => new CannotStoreJob('SQLITE_FULL', 'database or disk is full'));
    const full = await app.inject({ url: '/jobs/x' });
    expect(full.statusCode).toBe(507);
    expect(full.json()).toEqual({
      error: 'foreman cannot store the job (SQLITE_FULL: database or disk is full); nothing was created, try again later',
    });
    expect(logged).toEqual([]);
    await app.close();
    await serve(() => new TypeError('boom'));
    expect((await app.inject({ url: '/jobs/x' })).json()).toEqual({ error: 'boom' });
    expect(logged.join('')).toContain('request failed');
    await app.close();
    await serve(() => new HttpError(503, 'server busy'));
    expect((await app.inject({ url: '/jobs/x' })).statusCode).toBe(503);
    expect(logged).toEqual([]);
  });
});
