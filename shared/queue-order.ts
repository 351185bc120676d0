/**
 * The order jobs start in within a lane: one definition for the scheduler and the window, so the queue
 * the window shows is the order the scheduler runs. A client waiting on the socket (passthrough) goes
 * before background `/jobs`, then higher `priority`, then creation order (job ids sort by creation,
 * finer than the millisecond clock).
 */
import type { JobSource } from './types.js';

/** 0 = interactive (a passthrough client is waiting on the socket), 1 = background (`/jobs`). */
export type JobClass = 0 | 1;

export interface Ordered {
  cls: JobClass;
  priority: number;
  id: string;
}

export function classOf(source: JobSource): JobClass {
  return source === 'passthrough' ? 0 : 1;
}

export function runsBefore(a: Ordered, b: Ordered): boolean {
  if (a.cls !== b.cls) return a.cls < b.cls;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.id < b.id;
}
