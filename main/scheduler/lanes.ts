/**
 * The queue's data: one lane of waiting jobs per model. Pure and synchronous; time comes in as numbers.
 * Within a lane: interactive before background, then higher priority, then first come first served.
 */

/** 0 = interactive (a passthrough client is waiting on the socket), 1 = background (`/jobs`). */
export type JobClass = 0 | 1;

export interface Waiting {
  id: string;
  lane: string;
  cls: JobClass;
  priority: number;
  enqueuedAt: number;
  /** Arrival order; breaks ties and keeps FIFO stable. */
  seq: number;
}

function before(a: Waiting, b: Waiting): boolean {
  if (a.cls !== b.cls) return a.cls < b.cls;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.seq < b.seq;
}

export class Lane {
  /** Service order. */
  private readonly order: Waiting[] = [];
  /** Arrival order (a Map keeps insertion order), so the oldest waiter is the first key. */
  private readonly arrivals = new Map<string, Waiting>();

  constructor(readonly name: string) {}

  get size(): number {
    return this.order.length;
  }

  add(job: Waiting): void {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.order[mid] as Waiting, job)) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, job);
    this.arrivals.set(job.id, job);
  }

  /** The job to serve next. */
  head(): Waiting | undefined {
    return this.order[0];
  }

  shift(): Waiting | undefined {
    const job = this.order.shift();
    if (job) this.arrivals.delete(job.id);
    return job;
  }

  remove(id: string): boolean {
    if (!this.arrivals.delete(id)) return false;
    const at = this.order.findIndex((j) => j.id === id);
    this.order.splice(at, 1);
    return true;
  }

  /** The longest-waiting job in this lane (not necessarily the next one served). */
  oldestJob(): Waiting | undefined {
    const first = this.arrivals.values().next();
    return first.done ? undefined : first.value;
  }

  /** When the longest-waiting job in this lane arrived. */
  oldest(): number {
    return this.oldestJob()?.enqueuedAt ?? Infinity;
  }

  jobs(): readonly Waiting[] {
    return this.order;
  }
}

/** Arrival order across lanes: earlier time, then earlier sequence number. */
function waitedLonger(a: Lane, b: Lane): boolean {
  const x = a.oldestJob() as Waiting;
  const y = b.oldestJob() as Waiting;
  return x.enqueuedAt < y.enqueuedAt || (x.enqueuedAt === y.enqueuedAt && x.seq < y.seq);
}

export interface PickInput {
  now: number;
  lanes: ReadonlyMap<string, Lane>;
  /** The lane running now or served last. */
  current: string | null;
  running: number;
  concurrency: number;
  maxWaitMs: number;
  /** Lanes whose model Ollama holds in memory (from `/api/ps`). */
  resident: ReadonlySet<string>;
}

/**
 * Drain-by-model: which lane to start a job from now, or null to wait.
 * - In-flight work is never interrupted, and everything in flight is for one model.
 * - The current lane is served until empty, unless a job elsewhere waited past `maxWaitMs`:
 *   then no more of the current model starts, and the starving lane goes next.
 * - A switch prefers models Ollama already holds, then the lane whose oldest job waited longest.
 */
export function pickLane(input: PickInput): string | null {
  const { now, lanes, current, running, concurrency, maxWaitMs, resident } = input;
  if (running >= concurrency) return null;

  let starving: Lane | null = null;
  for (const lane of lanes.values()) {
    if (lane.size === 0 || now - lane.oldest() < maxWaitMs) continue;
    if (!starving || waitedLonger(lane, starving)) starving = lane;
  }
  const currentLane = current === null ? undefined : lanes.get(current);

  if (running > 0) {
    if (starving && starving.name !== current) return null;
    return currentLane && currentLane.size > 0 ? currentLane.name : null;
  }
  if (starving) return starving.name;
  if (currentLane && currentLane.size > 0) return currentLane.name;

  let best: Lane | null = null;
  let bestResident = false;
  for (const lane of lanes.values()) {
    if (lane.size === 0) continue;
    const isResident = resident.has(lane.name);
    if (!best || (isResident && !bestResident) || (isResident === bestResident && waitedLonger(lane, best))) {
      best = lane;
      bestResident = isResident;
    }
  }
  return best ? best.name : null;
}

/** How many non-empty lanes a switch would choose among (a `/api/ps` refresh only helps if > 1). */
export function switchCandidates(lanes: ReadonlyMap<string, Lane>): number {
  let n = 0;
  for (const lane of lanes.values()) if (lane.size > 0) n++;
  return n;
}
