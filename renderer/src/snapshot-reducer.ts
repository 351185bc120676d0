/**
 * Folding events into a queue snapshot: pure functions, so the store can replay events that arrived
 * while a snapshot was in flight. Every change is idempotent (a job row replaces the one with its id).
 */
import type { ForemanEvent, JobRow, LaneSnapshot, QueueSnapshot } from '../../shared/api.js';
import { classOf, runsBefore as sharedRunsBefore } from '../../shared/queue-order.js';

/** The scheduler's own order within a lane (shared/queue-order.ts), for job rows. */
export function runsBefore(a: JobRow, b: JobRow): boolean {
  return sharedRunsBefore(
    { cls: classOf(a.source), priority: a.priority, id: a.id },
    { cls: classOf(b.source), priority: b.priority, id: b.id },
  );
}

function byOrder(a: JobRow, b: JobRow): number {
  return runsBefore(a, b) ? -1 : runsBefore(b, a) ? 1 : 0;
}

function emptyLane(model: string, resident: boolean): LaneSnapshot {
  return { model, resident, current: false, queued: [], running: [], oldest_at: null, load_ms: null, tokens_per_s: null };
}

function oldestOf(queued: readonly JobRow[]): number | null {
  let oldest: number | null = null;
  for (const j of queued) if (oldest === null || j.created_at < oldest) oldest = j.created_at;
  return oldest;
}

/**
 * Fold many job rows in at once (the latest row per id): one pass over the lanes however many rows,
 * so a burst of thousands of submissions or cancels costs a few sorts, not a lane copy per event.
 */
export function upsertJobs(s: QueueSnapshot, jobs: ReadonlyMap<string, JobRow>): QueueSnapshot {
  if (jobs.size === 0) return s;
  let current = s.current;
  const addQueued = new Map<string, JobRow[]>();
  const addRunning = new Map<string, JobRow[]>();
  for (const job of jobs.values()) {
    const into = job.state === 'queued' ? addQueued : job.state === 'working' ? addRunning : null;
    if (!into) continue;
    const list = into.get(job.lane);
    if (list) list.push(job);
    else into.set(job.lane, [job]);
    if (job.state === 'working') current = job.lane;
  }
  let lanes = s.lanes;
  for (const model of new Set([...addQueued.keys(), ...addRunning.keys()])) {
    if (!lanes.some((l) => l.model === model)) lanes = [...lanes, emptyLane(model, s.resident.includes(model))];
  }
  const replaced = (j: JobRow) => jobs.has(j.id);
  lanes = lanes.map((l) => {
    const q = addQueued.get(l.model);
    const r = addRunning.get(l.model);
    const queuedChanged = q !== undefined || l.queued.some(replaced);
    const runningChanged = r !== undefined || l.running.some(replaced);
    // Recomputed every time: a lane may be created after the switch that made its model current.
    const isCurrent = l.model === current;
    if (!queuedChanged && !runningChanged) return l.current === isCurrent ? l : { ...l, current: isCurrent };
    const queued = queuedChanged ? [...l.queued.filter((j) => !replaced(j)), ...(q ?? [])].sort(byOrder) : l.queued;
    const running = runningChanged ? [...l.running.filter((j) => !replaced(j)), ...(r ?? [])] : l.running;
    return { ...l, queued, running, oldest_at: oldestOf(queued), current: isCurrent };
  });
  return { ...s, lanes, current };
}

export function upsertJob(s: QueueSnapshot, job: JobRow): QueueSnapshot {
  return upsertJobs(s, new Map([[job.id, job]]));
}

function applyOther(s: QueueSnapshot, e: Exclude<ForemanEvent, { type: 'job' }>): QueueSnapshot {
  switch (e.type) {
    case 'model': {
      if (e.change === 'switch') {
        const lanes = s.lanes.map((l) => (l.current === (l.model === e.model) ? l : { ...l, current: l.model === e.model }));
        return { ...s, current: e.model, lanes };
      }
      const resident = s.resident.includes(e.model) ? s.resident : [...s.resident, e.model];
      const lanes = s.lanes.map((l) => (l.model === e.model && !l.resident ? { ...l, resident: true } : l));
      return { ...s, resident, lanes };
    }
    case 'queue':
      return s.paused === e.paused ? s : { ...s, paused: e.paused };
    case 'upstream':
      // `upstream` is the first host; with several, the others show in their rows (memory events).
      if (e.host !== undefined && s.hosts.length > 1 && e.host !== s.hosts[0]!.id) return s;
      return s.upstream.up === e.up ? s : { ...s, upstream: { ...s.upstream, up: e.up } };
    case 'memory': {
      // What the scheduler holds on any host is the residency badge: a load shows at once, an eviction too.
      const strips = e.hosts.length > 0 ? e.hosts.map((h) => h.memory) : [e.memory];
      const held = new Set(strips.flatMap((m) => m.runners.map((r) => r.lane)));
      const lanes = s.lanes.map((l) => (l.resident === held.has(l.model) ? l : { ...l, resident: held.has(l.model) }));
      return { ...s, memory: e.memory, hosts: e.hosts, lanes };
    }
    case 'resident':
      return { ...s, resident: e.models };
    case 'ollama':
      return { ...s, ollama: { ...s.ollama, status: e.status, message: e.message } };
    default:
      return s;
  }
}

/** Apply events in order; each run of job events goes in as one batch. */
export function applyEvents(s: QueueSnapshot, events: readonly ForemanEvent[]): QueueSnapshot {
  let next = s;
  let batch = new Map<string, JobRow>();
  for (const e of events) {
    if (e.type === 'job') {
      batch.set(e.job.id, e.job);
      continue;
    }
    next = upsertJobs(next, batch);
    batch = new Map();
    next = applyOther(next, e);
  }
  return upsertJobs(next, batch);
}

/** `<boot>:<seq>` (or a bare number): the part that must match, and the sequence number. */
function idParts(id: string): [string, bigint] | null {
  const m = /^(.*?)(\d+)$/.exec(id);
  return m ? [m[1]!, BigInt(m[2]!)] : null;
}

/**
 * The logged events a snapshot does not include yet: those after its `event_id`. Ids from another
 * boot of the server than the snapshot's are dropped (the snapshot is newer than all of them).
 */
export function eventsAfter<T extends { id: string }>(log: readonly T[], snapshotId: string): T[] {
  const s = idParts(snapshotId);
  if (!s) {
    const at = log.findIndex((e) => e.id === snapshotId);
    return at === -1 ? [...log] : log.slice(at + 1);
  }
  return log.filter((e) => {
    const p = idParts(e.id);
    return p !== null && p[0] === s[0] && p[1] > s[1];
  });
}
