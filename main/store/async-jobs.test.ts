import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from './store.js';
import type { NewAsyncJob } from './async-jobs.js';

let store: Store;
let dir: string;
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foreman-async-'));
  store = openStore({ file: path.join(dir, 'foreman.db') });
  return store.asyncJobs((job, type, now) => JSON.stringify({ type, timestamp: now, data: { id: job.id, state: job.state } }));
}

function job(id: string, over: Partial<NewAsyncJob> = {}): NewAsyncJob {
  return {
    id,
    route: '/api/chat',
    api: 'chat',
    model: 'llama3.2',
    lane: 'llama3.2:latest',
    client: null,
    priority: 0,
    createdAt: 1,
    request: '{"model":"llama3.2"}',
    webhookUrl: 'http://127.0.0.1:9/hook',
    metadata: null,
    idempotencyKey: null,
    requestHash: null,
    ...over,
  };
}

const events = (jobId: string) =>
  store.deliveries
    .list({ jobId })
    .map((d) => d.type)
    .reverse();

describe('async job store', () => {
  it('commits each transition with its outbox row, in sequence', () => {
    const jobs = open();
    jobs.submit(job('j1'));
    expect(jobs.start('j1', 2)).toBe(true);
    expect(jobs.finish('j1', { state: 'succeeded', finishedAt: 3, response: '{}' })).toBe(true);
    expect(events('j1')).toEqual(['job.queued', 'job.working', 'job.succeeded']);
    expect(
      store.deliveries
        .list({ jobId: 'j1' })
        .map((d) => d.sequence)
        .reverse(),
    ).toEqual([1, 2, 3]);
    expect(JSON.parse(store.deliveries.list({ jobId: 'j1' })[0]!.payload).data.state).toBe('succeeded');
  });

  it('gives every job exactly one terminal state and one terminal event, whichever transition comes first', () => {
    const jobs = open();
    const outcomes = ['succeeded', 'failed', 'canceled'] as const;
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 1000; i++) {
      const id = `j${i}`;
      jobs.submit(job(id));
      if (rnd() < 0.7) jobs.start(id, 2);
      const racers = [...outcomes].sort(() => rnd() - 0.5);
      const won = racers.map((state) => jobs.finish(id, { state, finishedAt: 3 }));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(store.getJob(id)!.state).toBe(racers[won.indexOf(true)]);
      expect(jobs.start(id, 4)).toBe(false);
    }
    const terminal = store.db
      .prepare(`SELECT job_id, COUNT(*) AS n FROM deliveries WHERE type IN ('job.succeeded','job.failed','job.canceled') GROUP BY job_id`)
      .all() as { n: number }[];
    expect(terminal).toHaveLength(1000);
    expect(terminal.every((r) => r.n === 1)).toBe(true);
  });

  it('writes neither the state change nor its event if the transaction fails half way', () => {
    const jobs = open();
    jobs.submit(job('j1'));
    // A delivery row that already holds the next sequence makes the event insert fail inside the transaction.
    store.db
      .prepare(
        `INSERT INTO deliveries (id, job_id, sequence, type, url, payload, state, next_attempt_at, created_at)
      VALUES ('msg_x', 'j1', 2, 'job.other', 'http://x', '{}', 'pending', 0, 0)`,
      )
      .run();
    expect(() => jobs.start('j1', 2)).toThrow(/UNIQUE/);
    expect(store.getJob('j1')!.state).toBe('queued');
    expect(events('j1')).toEqual(['job.queued', 'job.other']);
  });

  it('commits a batch of submits together, each in its own savepoint', () => {
    const jobs = open();
    jobs.submit(job('taken'));
    const results = jobs.submitMany([
      job('a'),
      job('taken'),
      job('b', { idempotencyKey: 'k', requestHash: 'h' }),
      job('c', { idempotencyKey: 'k', requestHash: 'h' }),
    ]);
    expect(results[0]).toMatchObject({ created: true });
    expect(results[1]).toBeInstanceOf(Error);
    expect(results[2]).toMatchObject({ created: true, job: { id: 'b' } });
    // The same key later in the same batch sees the earlier row: one job, never two.
    expect(results[3]).toMatchObject({ created: false, job: { id: 'b' } });
    expect(
      store
        .listJobs()
        .map((j) => j.id)
        .sort(),
    ).toEqual(['a', 'b', 'taken']);
    expect(events('a')).toEqual(['job.queued']);
    expect(events('taken')).toEqual(['job.queued']);
  });

  it('returns the existing job for a reused idempotency key and flags a different request', () => {
    const jobs = open();
    const first = jobs.submit(job('j1', { idempotencyKey: 'k', requestHash: 'h1' }));
    expect(first).toMatchObject({ created: true });
    expect(jobs.submit(job('j2', { idempotencyKey: 'k', requestHash: 'h1' }))).toMatchObject({ created: false, job: { id: 'j1' } });
    expect(jobs.submit(job('j3', { idempotencyKey: 'k', requestHash: 'h2' }))).toMatchObject({ conflict: { id: 'j1' } });
    expect(store.listJobs()).toHaveLength(1);
  });

  it('prunes a finished job with its delivery log past retention, but not while its webhooks are pending', () => {
    const jobs = open();
    jobs.submit(job('old', { createdAt: 1 }));
    jobs.finish('old', { state: 'succeeded', finishedAt: 2 });
    jobs.submit(job('live', { createdAt: 1 }));
    expect(store.deliveries.list({ jobId: 'old' })).toHaveLength(2);
    // Its webhooks are still pending: pruning now would lose them.
    store.pruneFinished(1000);
    expect(store.getJob('old')).toBeDefined();
    store.db.prepare(`UPDATE deliveries SET state = 'delivered', next_attempt_at = NULL WHERE job_id = 'old'`).run();
    store.pruneFinished(1000);
    expect(store.getJob('old')).toBeUndefined();
    expect(store.deliveries.list({ jobId: 'old' })).toHaveLength(0);
    expect(store.deliveries.list({ jobId: 'live' })).toHaveLength(1);
    expect(store.db.prepare(`SELECT COUNT(*) FROM delivery_attempts`).pluck().get()).toBe(0);
  });

  it('re-queues interrupted jobs and fails those that keep dying', () => {
    const jobs = open();
    jobs.submit(job('a'));
    jobs.submit(job('b'));
    jobs.start('a', 2);
    jobs.start('b', 2);
    store.db.prepare(`UPDATE jobs SET attempts = 3 WHERE id = 'b'`).run();
    expect(jobs.recoverInterrupted(3, 10)).toEqual({ requeued: 1, failed: 1 });
    expect(store.getJob('a')).toMatchObject({ state: 'queued', started_at: null, attempts: 1 });
    expect(store.getJob('b')).toMatchObject({ state: 'failed' });
    expect(store.getJob('b')!.error).toMatch(/interrupted/);
    expect(events('b').at(-1)).toBe('job.failed');
    expect(jobs.queuedIds()).toEqual(['a']);
  });
});
