/**
 * The queue's data: one lane of waiting jobs per runner (a model with its runner options). Pure and
 * synchronous; time comes in as numbers. Within a lane the order is `runsBefore` (shared/queue-order.ts).
 */
import { modelOfLane } from './runner-key.js';
import { runsBefore, type JobClass } from '../../shared/queue-order.js';

export type { JobClass };

export interface Waiting {
  id: string;
  lane: string;
  cls: JobClass;
  priority: number;
  enqueuedAt: number;
  /** Arrival order; breaks ties and keeps FIFO stable. */
  seq: number;
}

export class Lane {
  /** Service order. */
  private readonly order: Waiting[] = [];
  /** Arrival order (a Map keeps insertion order), so the oldest waiter is the first key. */
  private readonly arrivals = new Map<string, Waiting>();

  /** The model part of the lane's name. */
  readonly model: string;

  constructor(readonly name: string) {
    this.model = modelOfLane(name);
  }

  get size(): number {
    return this.order.length;
  }

  add(job: Waiting): void {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runsBefore(this.order[mid] as Waiting, job)) lo = mid + 1;
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
