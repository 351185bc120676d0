/** A real store on a temp dir with jobs and webhook outbox rows, for dispatcher and delivery-log tests. */
import fs from 'node:fs';
import path from 'node:path';
import { openStore, type Store } from '../store/store.js';
import { tempDir } from './test-config.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from '../webhooks/dispatcher.js';

export interface TempOutbox {
  store: Store;
  file: string;
  /** Adds the job if new and the outbox row for one of its events; returns the delivery id. */
  event(jobId: string, sequence: number, type: string, url: string, now?: number): string;
  /** Drops the handle without a checkpoint, like a crash, and opens the same file again. */
  crashAndReopen(): Store;
  close(): void;
}

export function tempOutbox(): TempOutbox {
  const dir = tempDir('foreman-outbox-');
  const file = path.join(dir, 'foreman.db');
  const opened: Store[] = [openStore({ file })];
  const current = () => opened[opened.length - 1]!;
  const box: TempOutbox = {
    get store() {
      return current();
    },
    file,
    event(jobId, sequence, type, url, now = Date.now()) {
      const store = current();
      if (!store.getJob(jobId)) {
        store.insertJob({
          id: jobId,
          source: 'jobs',
          route: '/jobs',
          api: 'chat',
          model: 'llama3.2',
          lane: 'llama3.2:latest',
          client: null,
          priority: 0,
          stream: false,
          createdAt: now,
          request: '{"model":"llama3.2"}',
        });
      }
      const payload = JSON.stringify({
        type,
        timestamp: new Date(now).toISOString(),
        data: { id: jobId, job_id: jobId, sequence, note: 'héllo ✓' },
      });
      return store.deliveries.enqueue(jobId, sequence, type, url, payload, now);
    },
    crashAndReopen() {
      current().db.close();
      opened.push(openStore({ file }));
      return current();
    },
    close() {
      for (const s of opened) if (s.db.open) s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return box;
}

/**
 * Per-test fixtures for dispatcher tests: receivers, outboxes and dispatchers that are all closed
 * after each test, last opened first. Call `cleanup` from `afterEach`.
 */
export function dispatcherFixtures(defaults: { secret: string; retriesMs: number[]; start?: boolean }) {
  const cleanups: (() => unknown)[] = [];
  return {
    async cleanup() {
      for (const c of cleanups.splice(0).reverse()) await c();
    },
    /** Anything else a test opened. */
    onCleanup(fn: () => unknown): void {
      cleanups.push(fn);
    },
    async receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
      const r = await startReceiver(...args);
      cleanups.push(() => r.close());
      return r;
    },
    outbox(): TempOutbox {
      const box = tempOutbox();
      cleanups.push(() => box.close());
      return box;
    },
    dispatcher(box: TempOutbox, over: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
      const d = createWebhookDispatcher({
        deliveries: box.store.deliveries,
        secret: defaults.secret,
        retriesMs: defaults.retriesMs,
        jitter: 0,
        ...over,
      });
      cleanups.push(() => d.stop(0));
      if (defaults.start) d.start();
      return d;
    },
  };
}
