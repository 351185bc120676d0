import { describe, expect, it } from 'vitest';
import type { DeliveryRow } from '../../shared/api.js';
import { upsertDelivery, waitText } from './delivery-rows.js';

const T = '2026-01-01T08:17:05.000Z';
const row = (id: string, sequence: number, over: Partial<DeliveryRow> = {}): DeliveryRow => ({
  id,
  webhook_id: id,
  job_id: 'job_1',
  sequence,
  type: ['', 'job.queued', 'job.working', 'job.succeeded'][sequence]!,
  url: 'http://x/',
  state: 'pending',
  attempt_count: 0,
  next_attempt_at: T,
  created_at: T,
  finished_at: null,
  last_status: null,
  last_error: null,
  redelivery: false,
  waiting_for: null,
  ...over,
});

describe('upsertDelivery', () => {
  it('points waiting rows at the first pending delivery of their job, and follows its retries', () => {
    const rows = [row('c', 3), row('b', 2), row('a', 1)];
    const later = '2026-01-01T08:30:00.000Z';
    const next = upsertDelivery(rows, row('a', 1, { attempt_count: 1, last_status: 500, next_attempt_at: later }), true);
    expect(next.map((r) => r.waiting_for)).toEqual([
      { id: 'a', type: 'job.queued', next_attempt_at: later },
      { id: 'a', type: 'job.queued', next_attempt_at: later },
      null,
    ]);
  });

  it('moves the wait along once the first gives up', () => {
    const rows = upsertDelivery([row('c', 3), row('b', 2), row('a', 1)], row('a', 1), true);
    const next = upsertDelivery(rows, row('a', 1, { state: 'exhausted', next_attempt_at: null }), true);
    expect(next.map((r) => r.waiting_for?.id ?? null)).toEqual(['b', null, null]);
  });

  it('keeps what the server said about a delivery this page does not hold, until an event tells otherwise', () => {
    const waiting = row('b', 2, { waiting_for: { id: 'a', type: 'job.queued', next_attempt_at: T } });
    expect(upsertDelivery([waiting], row('x', 1, { job_id: 'job_2' }), false)[0]!.waiting_for?.id).toBe('a');
    expect(upsertDelivery([waiting], row('a', 1, { state: 'delivered' }), false)[0]!.waiting_for).toBeNull();
  });

  it('adds a new row on top only when asked', () => {
    expect(upsertDelivery([row('a', 1)], row('z', 1, { job_id: 'job_2' }), false).map((r) => r.id)).toEqual(['a']);
    expect(upsertDelivery([row('a', 1)], row('z', 1, { job_id: 'job_2' }), true).map((r) => r.id)).toEqual(['z', 'a']);
  });
});

describe('waitText', () => {
  it('says what a waiting delivery waits for and when that is retried', () => {
    expect(waitText(row('b', 2, { waiting_for: { id: 'a', type: 'job.working', next_attempt_at: T } }))).toMatch(
      /^after job\.working, retry at \S+/,
    );
    expect(waitText(row('a', 1))).toBeNull();
  });
});
