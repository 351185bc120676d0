import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuardedLookup, type Resolver } from './url-policy.js';
import { createWebhookAgent } from '../ollama/webhook-http.js';
import { dispatcherFixtures, type TempOutbox } from '../test-support/outbox.js';

const SECRET = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;

const fx = dispatcherFixtures({ secret: SECRET, retriesMs: [60_000], start: true });
const { receiver, outbox, dispatcher } = fx;
afterEach(async () => {
  await fx.cleanup();
});

/** The attempts of a delivery once `n` of them are recorded. */
async function attempts(box: TempOutbox, id: string, n: number) {
  await expect.poll(() => box.store.deliveries.attempts(id).length).toBe(n);
  return box.store.deliveries.attempts(id);
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('webhook outcomes', () => {
  it('disables an endpoint that answers 410 Gone, until a redeliver', async () => {
    const box = outbox();
    const hook = await receiver(() => 410);
    const first = box.event('job_1', 1, 'job.queued', hook.url);
    const d = dispatcher(box);
    await expect.poll(() => box.store.deliveries.get(first)?.state).toBe('disabled');
    expect((await attempts(box, first, 1))[0]).toMatchObject({ status: 410, error_class: 'gone', next_attempt_at: null });
    expect(box.store.deliveries.isDisabled(hook.url)).toBe(true);

    // Later events for that URL are not sent at all.
    const second = box.event('job_2', 1, 'job.queued', hook.url);
    d.kick();
    await expect.poll(() => box.store.deliveries.get(second)?.state).toBe('disabled');
    expect((await attempts(box, second, 1))[0]).toMatchObject({ status: null, error_class: 'endpoint_disabled' });
    expect(hook.requests).toHaveLength(1);

    hook.respond = () => 204;
    expect(box.store.deliveries.redeliver(second, Date.now())).toBe(true);
    d.kick();
    expect((await hook.nth(2)).id).toBe(second);
    await expect.poll(() => box.store.deliveries.get(second)?.state).toBe('delivered');
    expect((await attempts(box, second, 2))[1]).toMatchObject({ status: 204, redelivery: true });
  });

  it('does not follow a redirect, and counts it as a failure', async () => {
    const box = outbox();
    const target = await receiver();
    const hook = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const id = box.event('job_1', 1, 'job.queued', hook.url);
    dispatcher(box);
    const [a] = await attempts(box, id, 1);
    expect(a).toMatchObject({ status: 302, error_class: 'redirect' });
    expect(a!.error).toContain(target.url);
    expect(box.store.deliveries.get(id)).toMatchObject({ state: 'pending', next_attempt_at: a!.next_attempt_at });
    expect(a!.next_attempt_at).toBeGreaterThanOrEqual(a!.started_at + 60_000);
    expect(target.requests).toHaveLength(0);
  });

  it('waits at least as long as Retry-After on 503 and 429', async () => {
    const box = outbox();
    const date = new Date(Date.now() + 600_000).toUTCString();
    const hook = await receiver((r) =>
      r.body.data.job_id === 'job_1'
        ? { status: 503, headers: { 'retry-after': '120' } }
        : { status: 429, headers: { 'retry-after': date } },
    );
    const seconds = box.event('job_1', 1, 'job.queued', hook.url);
    const httpDate = box.event('job_2', 1, 'job.queued', hook.url);
    // The schedule alone would retry after 20 ms.
    dispatcher(box, { retriesMs: [20] });
    const [a] = await attempts(box, seconds, 1);
    expect(a!.next_attempt_at).toBeGreaterThanOrEqual(a!.started_at + 120_000);
    expect(box.store.deliveries.get(seconds)!.next_attempt_at).toBe(a!.next_attempt_at);
    const [b] = await attempts(box, httpDate, 1);
    expect(b!.next_attempt_at).toBeGreaterThanOrEqual(Date.parse(date));
    expect(b).toMatchObject({ status: 429, error_class: 'invalid_status' });
  });

  it('classifies a receiver that does not answer in time as a timeout', async () => {
    const box = outbox();
    const hook = await receiver(() => 'hang');
    const id = box.event('job_1', 1, 'job.queued', hook.url);
    dispatcher(box, { timeoutMs: 100 });
    const [a] = await attempts(box, id, 1);
    expect(a).toMatchObject({ status: null, error_class: 'timeout', response_body: null });
    expect(a!.duration_ms).toBeGreaterThanOrEqual(90);
    expect(a!.next_attempt_at).not.toBeNull();
  });

  it('classifies refused connections and dropped connections', async () => {
    const box = outbox();
    const hook = await receiver(() => 'reset');
    const refused = box.event('job_1', 1, 'job.queued', `http://127.0.0.1:${await closedPort()}/hook`);
    const reset = box.event('job_2', 1, 'job.queued', hook.url);
    dispatcher(box);
    expect((await attempts(box, refused, 1))[0]).toMatchObject({ status: null, error_class: 'connect_refused' });
    expect((await attempts(box, reset, 1))[0]).toMatchObject({ status: null, error_class: 'connection_reset' });
  });

  it('gives up after the last attempt', async () => {
    const box = outbox();
    const hook = await receiver(() => ({ status: 500, body: 'x'.repeat(10_000) }));
    const id = box.event('job_1', 1, 'job.queued', hook.url);
    const d = dispatcher(box, { retriesMs: [10, 10], responseCap: 100 });
    await expect.poll(() => box.store.deliveries.get(id)?.state).toBe('exhausted');
    const all = await attempts(box, id, 3);
    expect(all.map((a) => a.next_attempt_at === null)).toEqual([false, false, true]);
    expect(all[2]!.response_body).toBe('x'.repeat(100));
    expect(hook.requests).toHaveLength(3);
    expect(box.store.deliveries.nextDueAt()).toBeNull();
    expect(d.inFlight).toBe(0);
  });
});

describe('webhook address policy', () => {
  it('refuses a literal link-local address at once, without a request or retries', async () => {
    const box = outbox();
    const id = box.event('job_1', 1, 'job.queued', 'http://169.254.169.254/latest/meta-data');
    dispatcher(box, { retriesMs: [10, 10] });
    await expect.poll(() => box.store.deliveries.get(id)?.state).toBe('exhausted');
    expect(await attempts(box, id, 1)).toMatchObject([
      { status: null, error_class: 'forbidden_address', error: expect.stringMatching(/169\.254\.169\.254/) },
    ]);
  });

  it('checks what a host name resolves to on every attempt, and connects only to checked addresses', async () => {
    const box = outbox();
    const hook = await receiver(() => 500);
    const port = new URL(hook.url).port;
    let flip = '127.0.0.1';
    const resolve: Resolver = (host, _opts, cb) => cb(null, [{ address: host === 'meta.test' ? '169.254.169.254' : flip, family: 4 }]);
    const agent = createWebhookAgent({ lookup: createGuardedLookup({ resolve }) });
    fx.onCleanup(() => agent.close());
    hook.respond = () => {
      // DNS rebinding: the next answer for the same name points into the LAN.
      flip = '10.0.0.1';
      return 500;
    };
    const meta = box.event('job_1', 1, 'job.queued', `http://meta.test:${port}/hook`);
    const rebound = box.event('job_2', 1, 'job.queued', `http://flip.test:${port}/hook`);
    dispatcher(box, { agent, retriesMs: [10, 10] });
    await expect.poll(() => box.store.deliveries.get(meta)?.state).toBe('exhausted');
    expect(await attempts(box, meta, 1)).toMatchObject([{ error_class: 'forbidden_address' }]);
    await expect.poll(() => box.store.deliveries.get(rebound)?.state).toBe('exhausted');
    expect((await attempts(box, rebound, 2)).map((a) => a.error_class)).toEqual(['invalid_status', 'forbidden_address']);
    expect(hook.requests.map((r) => r.id)).toEqual([rebound]);
  });
});
