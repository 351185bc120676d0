/**
 * Several Ollama hosts as the window shows them: whether there are several at all (with one, naming it
 * is noise), and what a host's badge says.
 */
import type { HostRow, QueueSnapshot } from '../../shared/api.js';
import { duration } from './format.js';

export function severalHosts(snapshot: Pick<QueueSnapshot, 'hosts'> | null): boolean {
  return (snapshot?.hosts.length ?? 0) > 1;
}

export interface HostStatus {
  /** The badge: `up`, `suspect`, or `down 12 s`. */
  label: string;
  /** Why it is not up, while it is not. */
  reason: string | null;
  /** Both in one line: `down 12 s · connect ECONNREFUSED`. */
  text: string;
}

/** `now` on the server's clock, as `since` is. */
export function hostStatus(host: Pick<HostRow, 'state' | 'reason' | 'since'>, now: number): HostStatus {
  const label = host.state === 'down' ? `down ${duration(now - host.since)}` : host.state;
  const reason = host.state === 'up' ? null : host.reason;
  return { label, reason, text: reason ? `${label} · ${reason}` : label };
}

/** The hosts that hold a runner (a lane) now, in configuration order. */
export function hostsHolding(hosts: readonly HostRow[], lane: string): string[] {
  return hosts.filter((h) => h.memory.runners.some((r) => r.lane === lane)).map((h) => h.id);
}

/**
 * What the top bar says about Ollama: with one host whether it answers; with several, how many are
 * down (`degraded` while others still take work). Null while all is well.
 */
export function upstreamTrouble(snapshot: Pick<QueueSnapshot, 'hosts' | 'upstream'>): { text: string; state: 'down' | 'degraded' } | null {
  if (!severalHosts(snapshot)) return snapshot.upstream.up ? null : { text: 'Ollama unreachable', state: 'down' };
  const down = snapshot.hosts.filter((h) => h.state === 'down').length;
  if (down === 0) return null;
  if (down === snapshot.hosts.length) return { text: 'no Ollama host answering', state: 'down' };
  return { text: `${down} of ${snapshot.hosts.length} hosts down`, state: 'degraded' };
}
