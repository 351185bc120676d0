/**
 * The hosts as the request path sees them: the client for the host a job was placed on, where to
 * report a request that got no answer, and whether another host could take the job instead.
 */
import type { OllamaClient } from '../ollama/client.js';
import type { HostMonitor } from './host-monitor.js';

export interface Upstreams {
  readonly monitors: readonly HostMonitor[];
  /** The client of a host (the first one for an id foreman does not know). */
  client(hostId: string): OllamaClient;
  /** A request to this host got no answer (refused, reset or timed out before the head). */
  failed(hostId: string, reason: string): void;
  /** Whether a job that got no answer from `hostId` can go to another host that is up. */
  canFailOver(hostId: string): boolean;
  /** Whether some host answers `GET /`: a /jobs retry waits for this. */
  anyUp(): Promise<boolean>;
  /** The models some host has (`/api/tags`, union). */
  tags(): Promise<string[]>;
}

export function createUpstreams(monitors: readonly HostMonitor[]): Upstreams {
  const byId = new Map(monitors.map((m) => [m.id, m]));
  const first = monitors[0] as HostMonitor;
  const of = (id: string) => byId.get(id) ?? first;
  return {
    monitors,
    client: (id) => of(id).client,
    failed: (id, reason) => of(id).reportFailure(reason),
    canFailOver: (id) => monitors.some((m) => m.id !== id && m.up),
    async anyUp() {
      const answers = await Promise.all(monitors.map((m) => m.client.isUp()));
      return answers.some(Boolean);
    },
    async tags() {
      const settled = await Promise.allSettled(monitors.map((m) => m.client.tags()));
      const names = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
      if (names.length === 0 && settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
      return [...new Set(names)];
    },
  };
}
