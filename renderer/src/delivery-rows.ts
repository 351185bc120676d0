/**
 * The delivery log's rows as events change them. A job's webhooks go in order, so a pending delivery
 * behind an earlier pending one of its job waits for it; the server says which (`waiting_for`) when
 * the list is fetched, and events keep it current here.
 */
import type { DeliveryRow } from '../../shared/api.js';
import { clock } from './format.js';

export function isFailure(d: DeliveryRow): boolean {
  if (d.state === 'exhausted' || d.state === 'disabled') return true;
  return d.last_error !== null || (d.last_status !== null && (d.last_status < 200 || d.last_status >= 300));
}

/**
 * `waiting_for` of job `jobId`'s rows, from what is known: the rows loaded and `seen` (a delivery
 * from an event, which a filtered list may not show); else what the server said, while it may hold.
 */
function withWaits(rows: DeliveryRow[], jobId: string, seen: DeliveryRow): DeliveryRow[] {
  const known = rows.some((r) => r.id === seen.id) ? rows : [seen, ...rows];
  const pending = known.filter((r) => r.job_id === jobId && r.state === 'pending');
  const first = pending.reduce<DeliveryRow | null>((a, r) => (a === null || r.sequence < a.sequence ? r : a), null);
  return rows.map((r) => {
    if (r.job_id !== jobId) return r;
    let wait: DeliveryRow['waiting_for'] = null;
    if (r.state === 'pending' && first && first.sequence < r.sequence) {
      wait = { id: first.id, type: first.type, next_attempt_at: first.next_attempt_at };
    } else if (r.state === 'pending' && r.waiting_for && !known.some((o) => o.id === r.waiting_for!.id)) {
      wait = r.waiting_for; // waits for a delivery not loaded here
    }
    const same =
      wait === r.waiting_for ||
      (wait && r.waiting_for && wait.id === r.waiting_for.id && wait.next_attempt_at === r.waiting_for.next_attempt_at);
    return same ? r : { ...r, waiting_for: wait };
  });
}

/** Fold in a delivery from an event: replace its row (or add it on top), then its job's waits. */
export function upsertDelivery(rows: DeliveryRow[], d: DeliveryRow, addNew: boolean): DeliveryRow[] {
  const at = rows.findIndex((r) => r.id === d.id);
  const next = at === -1 ? (addNew ? [d, ...rows] : rows) : rows.with(at, d);
  return withWaits(next, d.job_id, d);
}

/** "after job.working, retry at 08:17:05" for a waiting delivery, or null. */
export function waitText(d: DeliveryRow): string | null {
  if (d.state !== 'pending' || !d.waiting_for) return null;
  const { type, next_attempt_at: at } = d.waiting_for;
  return at ? `after ${type}, retry at ${clock(at)}` : `after ${type}`;
}
