import { afterEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { deliveriesPlugin } from './deliveries.js';
import { installErrorHandler } from './errors.js';
import { systemClock } from '../scheduler/scheduler.js';
import { createWebhookDispatcher } from '../webhooks/dispatcher.js';
import { startReceiver, type Receiver } from '../test-support/webhook-receiver.js';
import { tempOutbox, type TempOutbox } from '../test-support/outbox.js';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Api {
  box: TempOutbox;
  hook: Receiver;
  /** Rows inserted straight into the store need a look, as the job runner asks for after a commit. */
  kick(): void;
  get(path: string): Promise<{ status: number; json: any }>;
  post(path: string, body?: unknown, contentType?: string): Promise<{ status: number; json: any }>;
}

/** The plugin in an app like foreman's: a sibling scope drops every parser, as the passthrough does. */
async function start(): Promise<Api> {
  const box = tempOutbox();
  cleanups.push(() => box.close());
  const hook = await startReceiver((r) => (r.body.data.job_id === 'job_1' ? 204 : 500));
  cleanups.push(() => hook.close());
  const dispatcher = createWebhookDispatcher({ deliveries: box.store.deliveries, secret: SECRET, retriesMs: [10], jitter: 0 });
  cleanups.push(() => dispatcher.stop(0));
  dispatcher.start();

  const app = Fastify({ forceCloseConnections: true });
  installErrorHandler(app, 1 << 20);
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/api/echo', async (request) => ({ bytes: (request.body as Buffer).length }));
  });
  app.register(deliveriesPlugin, { prefix: '/foreman', deliveries: box.store.deliveries, dispatcher, clock: systemClock });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());

  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${base}/foreman${path}`, init);
    return { status: res.status, json: await res.json() };
  };
  return {
    box,
    hook,
    kick: () => dispatcher.kick(),
    get: (path) => call(path),
    post: (path, body, contentType = 'application/json') =>
      call(
        path,
        body === undefined
          ? { method: 'POST' }
          : { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) },
      ),
  };
}

/** job_1's event is delivered; job_2's fails twice and is exhausted. */
async function withHistory(api: Api, t0 = Date.now()) {
  const delivered = api.box.event('job_1', 1, 'job.succeeded', api.hook.url, t0);
  const exhausted = api.box.event('job_2', 1, 'job.failed', api.hook.url, t0 + 1);
  const d = api.box.store.deliveries;
  api.kick();
  await expect.poll(() => [d.get(delivered)?.state, d.get(exhausted)?.state]).toEqual(['delivered', 'exhausted']);
  return { delivered, exhausted };
}

describe('GET /foreman/deliveries', () => {
  it('lists newest first with filters, ISO times and a cursor', async () => {
    const api = await start();
    const t0 = Date.now();
    const { delivered, exhausted } = await withHistory(api, t0);

    const all = await api.get('/deliveries');
    expect(all.status).toBe(200);
    expect(all.json.deliveries.map((d: any) => d.id)).toEqual([exhausted, delivered]);
    expect(all.json.next_cursor).toBeNull();
    expect(all.json.deliveries[1]).toMatchObject({
      id: delivered,
      webhook_id: delivered,
      job_id: 'job_1',
      sequence: 1,
      type: 'job.succeeded',
      url: api.hook.url,
      state: 'delivered',
      attempt_count: 1,
      redelivery: false,
      next_attempt_at: null,
      last_status: 204,
      last_error: null,
    });
    expect(all.json.deliveries[1].created_at).toMatch(ISO);
    expect(all.json.deliveries[1].finished_at).toMatch(ISO);
    expect(all.json.deliveries[1]).not.toHaveProperty('payload');

    const ids = async (query: string) => (await api.get(`/deliveries?${query}`)).json.deliveries.map((d: any) => d.id);
    expect(await ids('state=exhausted')).toEqual([exhausted]);
    expect(await ids('job_id=job_1')).toEqual([delivered]);
    expect(await ids('failed=true')).toEqual([exhausted]);
    expect(await ids(`since=${new Date(t0 + 1).toISOString()}`)).toEqual([exhausted]);
    expect(await ids(`since=${t0}`)).toEqual([exhausted, delivered]);

    const page1 = await api.get('/deliveries?limit=1');
    expect(page1.json.deliveries.map((d: any) => d.id)).toEqual([exhausted]);
    expect(page1.json.next_cursor).toBe(exhausted);
    const page2 = await api.get(`/deliveries?limit=1&cursor=${page1.json.next_cursor}`);
    expect(page2.json).toMatchObject({ deliveries: [{ id: delivered }], next_cursor: null });
  });

  it('says which earlier delivery of the same job a pending one waits for, and when that one is tried', async () => {
    const api = await start();
    const later = Date.now() + 60_000;
    const first = api.box.event('job_3', 1, 'job.queued', api.hook.url, later);
    const second = api.box.event('job_3', 2, 'job.working', api.hook.url, later + 1);
    const third = api.box.event('job_3', 3, 'job.succeeded', api.hook.url, later + 2);
    const other = api.box.event('job_4', 1, 'job.queued', api.hook.url, later + 3);
    const waits = Object.fromEntries((await api.get('/deliveries')).json.deliveries.map((d: any) => [d.id, d.waiting_for]));
    const behindFirst = { id: first, type: 'job.queued', next_attempt_at: new Date(later).toISOString() };
    expect(waits).toEqual({ [first]: null, [second]: behindFirst, [third]: behindFirst, [other]: null });
    expect((await api.get(`/deliveries/${third}`)).json.waiting_for).toEqual(behindFirst);
  });

  it.each([['limit=0'], ['limit=501'], ['state=lost'], ['since=yesterday'], ['failed=maybe']])(
    'answers 400 {"error"} for %s',
    async (query) => {
      const api = await start();
      const res = await api.get(`/deliveries?${query}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: expect.any(String) });
    },
  );

  it('shows one delivery with its parsed payload and every attempt', async () => {
    const api = await start();
    const { exhausted } = await withHistory(api);
    const { status, json } = await api.get(`/deliveries/${exhausted}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      id: exhausted,
      state: 'exhausted',
      attempt_count: 2,
      payload: { type: 'job.failed', data: { job_id: 'job_2' } },
    });
    expect(json.attempts).toHaveLength(2);
    expect(Object.keys(json.attempts[0]).sort()).toEqual([
      'attempt',
      'duration_ms',
      'error',
      'error_class',
      'finished_at',
      'next_attempt_at',
      'redelivery',
      'request_headers',
      'response_body',
      'started_at',
      'status',
      'type',
      'webhook_id',
    ]);
    expect(json.attempts[0]).toMatchObject({
      attempt: 1,
      webhook_id: exhausted,
      type: 'job.failed',
      redelivery: false,
      status: 500,
      error_class: 'invalid_status',
    });
    expect(json.attempts[0].request_headers).toMatchObject({ 'webhook-id': exhausted, 'user-agent': 'foreman-webhooks' });
    expect(json.attempts[0].next_attempt_at).toMatch(ISO);
    expect(json.attempts[1].next_attempt_at).toBeNull();

    expect(await api.get('/deliveries/msg_nope')).toEqual({ status: 404, json: { error: 'delivery msg_nope not found' } });
  });
});

describe('POST /foreman/deliveries/…/redeliver', () => {
  it('sends one delivery again: a new attempt, the same webhook-id, marked as a redelivery', async () => {
    const api = await start();
    const { exhausted } = await withHistory(api);
    const before = api.hook.forJob('job_2');
    api.hook.respond = () => 204;
    const { status, json } = await api.post(`/deliveries/${exhausted}/redeliver`);
    expect(status).toBe(202);
    expect(json.delivery).toMatchObject({ id: exhausted, state: 'pending', redelivery: true });
    await expect.poll(() => api.box.store.deliveries.get(exhausted)?.state).toBe('delivered');
    const copies = api.hook.forJob('job_2');
    expect(copies).toHaveLength(before.length + 1);
    expect(new Set(copies.map((c) => c.id))).toEqual(new Set([exhausted]));
    expect(new Set(copies.map((c) => c.raw)).size).toBe(1);
    const attempts = (await api.get(`/deliveries/${exhausted}`)).json.attempts;
    expect(attempts.map((a: any) => [a.attempt, a.redelivery, a.status])).toEqual([
      [1, false, 500],
      [2, false, 500],
      [3, true, 204],
    ]);
  });

  it('answers 404 for an unknown delivery, and sends a pending retry now instead of later', async () => {
    const api = await start();
    const later = api.box.event('job_9', 1, 'job.queued', api.hook.url, Date.now() + 3_600_000);
    expect(await api.post('/deliveries/msg_nope/redeliver')).toEqual({ status: 404, json: { error: 'delivery msg_nope not found' } });
    // A body-less POST that still says application/json, as fetch wrappers often send.
    expect(await api.post('/deliveries/msg_nope/redeliver', '')).toEqual({ status: 404, json: { error: 'delivery msg_nope not found' } });
    api.hook.respond = () => 204;
    const pending = await api.post(`/deliveries/${later}/redeliver`);
    expect(pending.status).toBe(202);
    api.kick();
    await expect.poll(() => api.box.store.deliveries.get(later)?.state).toBe('delivered');
    expect(api.hook.forJob('job_9').map((r) => r.id)).toEqual([later]);
  });

  it('sends again every failure since a time', async () => {
    const api = await start();
    const t0 = Date.now();
    const { delivered, exhausted } = await withHistory(api, t0);
    const old = api.box.event('job_3', 1, 'job.failed', api.hook.url, t0 - 86_400_000);
    api.kick();
    await expect.poll(() => api.box.store.deliveries.get(old)?.state).toBe('exhausted');
    api.hook.respond = () => 204;
    const res = await api.post('/deliveries/redeliver', { since: new Date(t0).toISOString() });
    expect(res).toEqual({ status: 202, json: { redelivered: 1 } });
    await expect.poll(() => api.box.store.deliveries.get(exhausted)).toMatchObject({ state: 'delivered', redelivery: true });
    expect(api.box.store.deliveries.get(old)!.state).toBe('exhausted');
    expect(api.box.store.deliveries.get(delivered)!.redelivery).toBe(false);
  });

  it.each([
    ['no since', {}, 'application/json', 400],
    ['a bad time', { since: 'last tuesday' }, 'application/json', 400],
    ['a text/plain body', '{"since":"2026-01-01T00:00:00Z"}', 'text/plain', 415],
    ['malformed JSON', '{"since":', 'application/json', 400],
    ['an empty JSON body', '', 'application/json', 400],
    ['a poisoned body', '{"since":"2026-01-01T00:00:00Z","__proto__":{"x":1}}', 'application/json', 400],
  ])('refuses %s', async (_name, body, contentType, status) => {
    const api = await start();
    const res = await api.post('/deliveries/redeliver', body, contentType);
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error: expect.any(String) });
  });
});
