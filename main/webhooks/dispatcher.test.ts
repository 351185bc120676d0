import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createWebhookDispatcher, type AttemptEvent } from './dispatcher.js';
import { dispatcherFixtures } from '../test-support/outbox.js';

const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const fx = dispatcherFixtures({ secret: SECRET, retriesMs: [20, 20] });
const { receiver, outbox, dispatcher } = fx;
afterEach(async () => {
  await fx.cleanup();
  vi.restoreAllMocks();
});

describe('webhook dispatcher', () => {
  it('sends the stored bytes, signed so the official verifier accepts them, and records the attempt', async () => {
    const box = outbox();
    const hook = await receiver();
    const events: AttemptEvent[] = [];
    const d = dispatcher(box, { onAttempt: (e) => events.push(e) });
    d.start();
    const id = box.event('job_1', 1, 'job.queued', hook.url);
    d.kick();
    const got = await hook.nth(1);
    expect(new Webhook(SECRET).verify(got.raw, got.headers)).toMatchObject({ type: 'job.queued', data: { job_id: 'job_1', sequence: 1 } });
    expect(got.id).toBe(id);
    expect(got.headers['user-agent']).toBe('foreman-webhooks');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.bytes.equals(Buffer.from(box.store.deliveries.get(id)!.payload, 'utf8'))).toBe(true);
    await expect.poll(() => box.store.deliveries.get(id)?.state).toBe('delivered');
    const [attempt] = box.store.deliveries.attempts(id);
    expect(attempt).toMatchObject({ attempt: 1, redelivery: false, status: 204, error_class: null, next_attempt_at: null });
    expect(attempt!.request_headers).toMatchObject({ 'webhook-id': id, 'webhook-signature': got.headers['webhook-signature'] });
    expect(events.map((e) => e.outcome.state)).toEqual(['delivered']);
    expect(d.inFlight).toBe(0);
  });

  it('retries a failing receiver with the same webhook-id, a fresh timestamp and identical bytes', async () => {
    const box = outbox();
    let offset = 0;
    // Each request moves the clock on, so second-resolution timestamps can be seen to increase.
    const hook = await receiver((r) => {
      offset += 2000;
      return r.n <= 2 ? 500 : 200;
    });
    const id = box.event('job_1', 1, 'job.succeeded', hook.url);
    dispatcher(box, { clock: { now: () => Date.now() + offset } }).start();
    await hook.nth(3);
    await expect.poll(() => box.store.deliveries.get(id)?.state).toBe('delivered');
    const [a, b, c] = hook.requests;
    expect(new Set([a!.id, b!.id, c!.id])).toEqual(new Set([id]));
    expect(a!.timestamp).toBeLessThan(b!.timestamp);
    expect(b!.timestamp).toBeLessThan(c!.timestamp);
    expect(new Set(hook.requests.map((r) => sha256(r.bytes))).size).toBe(1);
    for (const r of hook.requests) expect(() => new Webhook(SECRET).verify(r.raw, r.headers)).not.toThrow();
    const attempts = box.store.deliveries.attempts(id);
    expect(attempts.map((x) => [x.attempt, x.status, x.error_class])).toEqual([
      [1, 500, 'invalid_status'],
      [2, 500, 'invalid_status'],
      [3, 200, null],
    ]);
    expect(attempts[0]!.next_attempt_at).toBeGreaterThanOrEqual(attempts[0]!.started_at + 20);
  });

  it('holds a job’s next event until the earlier one is delivered', async () => {
    const box = outbox();
    let workingSeen = 0;
    const hook = await receiver((r) => (r.body.data.job_id === 'job_1' && r.body.type === 'job.working' && ++workingSeen <= 2 ? 503 : 204));
    box.event('job_1', 1, 'job.working', hook.url);
    box.event('job_1', 2, 'job.succeeded', hook.url);
    // Another job's events are not held up by this one.
    box.event('job_2', 1, 'job.working', hook.url);
    dispatcher(box).start();
    await expect.poll(() => hook.forJob('job_1').length).toBe(4);
    expect(hook.forJob('job_1').map((r) => r.body.type)).toEqual(['job.working', 'job.working', 'job.working', 'job.succeeded']);
    expect(hook.forJob('job_1').map((r) => r.body.data.sequence)).toEqual([1, 1, 1, 2]);
    expect(hook.forJob('job_2')).toHaveLength(1);
  });

  it('sends again with the same webhook-id after a crash mid-attempt', async () => {
    const box = outbox();
    const hook = await receiver(() => 'hang');
    const id = box.event('job_1', 1, 'job.succeeded', hook.url);
    const first = dispatcher(box);
    first.start();
    const before = await hook.nth(1);
    // The process dies with the request open: nothing was recorded, the row is still pending.
    await first.stop(0);
    const store = box.crashAndReopen();
    expect(store.deliveries.get(id)).toMatchObject({ state: 'pending', attempts: 0 });
    hook.respond = () => 200;
    const second = createWebhookDispatcher({ deliveries: store.deliveries, secret: SECRET, retriesMs: [20] });
    fx.onCleanup(() => second.stop(0));
    second.start();
    const after = await hook.nth(2);
    expect(after.id).toBe(before.id);
    expect(after.bytes.equals(before.bytes)).toBe(true);
    await expect.poll(() => store.deliveries.get(id)?.state).toBe('delivered');
    expect(store.deliveries.attempts(id)).toHaveLength(1);
  });

  it('keeps at most `concurrency` attempts in flight, and stop() lets them finish within the grace', async () => {
    const box = outbox();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const hook = await receiver(() => released.then(() => 204));
    const ids = [1, 2, 3, 4, 5].map((n) => box.event(`job_${n}`, 1, 'job.queued', hook.url));
    const d = dispatcher(box, { concurrency: 2 });
    d.start();
    await hook.nth(2);
    expect(d.inFlight).toBe(2);
    const stopping = d.stop(10_000);
    release();
    await stopping;
    expect(d.inFlight).toBe(0);
    const states = ids.map((id) => box.store.deliveries.get(id)!.state);
    expect(states.filter((s) => s === 'delivered')).toHaveLength(2);
    expect(states.filter((s) => s === 'pending')).toHaveLength(3);
    expect(hook.requests).toHaveLength(2);
  });

  it('sleeps until the next due time, capping timers at 2^31-1 ms', async () => {
    const box = outbox();
    const hook = await receiver();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    box.event('job_1', 1, 'job.queued', hook.url, Date.now() + 40 * 86_400_000);
    const d = dispatcher(box);
    d.start();
    const delays = spy.mock.calls.map((c) => c[1]);
    expect(delays).toContain(2 ** 31 - 1);
    expect(d.inFlight).toBe(0);
    expect(hook.requests).toHaveLength(0);
  });

  it('never throws out of the loop when the store fails, and reports it', async () => {
    const box = outbox();
    const errors: unknown[] = [];
    const d = dispatcher(box, { onError: (e) => errors.push(e) });
    box.store.close();
    d.start();
    d.kick();
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/not open/);
  });
});
