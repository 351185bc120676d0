import { describe, expect, it } from 'vitest';
import type { HostRow, LaneSnapshot, MemorySnapshot, QueueSnapshot } from '../../shared/api.js';
import { applyEvents } from './snapshot-reducer.js';

const strip = (...lanes: string[]): MemorySnapshot => ({
  budget_bytes: null,
  budget_source: 'unknown',
  max_loaded: 2,
  runners: lanes.map((lane) => ({ lane, model: lane, bytes: null, in_flight: 0 })),
});
const host = (id: string, memory = strip()): HostRow => ({
  id,
  url: `http://${id}`,
  state: 'up',
  reason: null,
  since: 0,
  running: 0,
  memory,
});
const lane = (model: string): LaneSnapshot => ({
  model,
  resident: false,
  current: false,
  queued: [],
  running: [],
  oldest_at: null,
  load_ms: null,
  tokens_per_s: null,
});

function snap(hosts: HostRow[], lanes: LaneSnapshot[] = []): QueueSnapshot {
  return {
    event_id: 'b:0',
    paused: false,
    current: null,
    lanes,
    resident: [],
    upstream: { url: 'http://a:1', up: true },
    memory: hosts[0]!.memory,
    hosts,
    ollama: { status: 'external', managed: false },
    now: 0,
  };
}

describe('host events', () => {
  it('shows a lane resident when any host holds it', () => {
    const s = snap([host('a:1'), host('b:1')], [lane('x'), lane('y')]);
    const hosts = [host('a:1', strip('x')), host('b:1', strip('y'))];
    const next = applyEvents(s, [{ type: 'memory', memory: hosts[0]!.memory, hosts }]);
    expect(next.lanes.map((l) => l.resident)).toEqual([true, true]);
    expect(next.hosts).toBe(hosts);
  });

  it('keeps the single-host upstream banner for the first host only', () => {
    const two = snap([host('a:1'), host('b:1')]);
    expect(applyEvents(two, [{ type: 'upstream', up: false, host: 'b:1' }]).upstream.up).toBe(true);
    expect(applyEvents(two, [{ type: 'upstream', up: false, host: 'a:1' }]).upstream.up).toBe(false);
    expect(applyEvents(snap([host('local')]), [{ type: 'upstream', up: false, host: 'local' }]).upstream.up).toBe(false);
    expect(applyEvents(snap([host('local')]), [{ type: 'upstream', up: false }]).upstream.up).toBe(false);
  });
});
