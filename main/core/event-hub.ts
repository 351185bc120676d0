/**
 * The one stream of live events (ADR: one event stream). Keeps the last events in a ring so a client
 * that reconnects with `Last-Event-ID` gets what it missed; a client from before a restart, or too
 * far behind, is told to resync from the snapshot instead.
 */
import { randomBytes } from 'node:crypto';
import type { ForemanEvent } from '../../shared/api.js';

export interface StampedEvent {
  /** `<boot>:<seq>`: the boot part changes on every start, so ids from before a restart never match. */
  id: string;
  /** The sequence part of the id: events of one boot are numbered 1, 2, 3… */
  seq: number;
  event: ForemanEvent;
}

export type Subscriber = (e: StampedEvent) => void;

export function createEventHub(options: { capacity?: number } = {}) {
  const capacity = options.capacity ?? 4096;
  const boot = randomBytes(4).toString('hex');
  const ring: StampedEvent[] = [];
  const subscribers = new Set<Subscriber>();
  let watchers = 0;
  let seq = 0;

  return {
    /** True when someone listens: producers skip work (token parsing) nobody would see. */
    get watched(): boolean {
      return watchers > 0;
    },

    /** Id of the latest event, for snapshots ("the stream continues after this"). */
    get lastId(): string {
      return `${boot}:${seq}`;
    },

    /** Sequence number of the latest event. */
    get lastSeq(): number {
      return seq;
    },

    publish(event: ForemanEvent): void {
      seq++;
      const stamped = { id: `${boot}:${seq}`, seq, event };
      ring.push(stamped);
      if (ring.length > capacity) ring.shift();
      for (const s of subscribers) s(stamped);
    },

    /** Events after `lastId`, or null if they cannot be replayed (other boot, or fell out of the ring). */
    since(lastId: string): StampedEvent[] | null {
      const [b, n] = lastId.split(':');
      const after = Number(n);
      if (b !== boot || !Number.isInteger(after) || after > seq) return null;
      if (after === seq) return [];
      const first = ring[0];
      if (!first || first.seq > after + 1) return null;
      return ring.slice(after + 1 - first.seq);
    },

    /** `watch: false` for listeners that do not need token events (metrics), so tokens stay unparsed. */
    subscribe(fn: Subscriber, options: { watch?: boolean } = {}): () => void {
      const watch = options.watch ?? true;
      subscribers.add(fn);
      if (watch) watchers++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        subscribers.delete(fn);
        if (watch) watchers--;
      };
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
