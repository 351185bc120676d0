import { describe, expect, it } from 'vitest';
import type { JobRow } from '../../shared/api.js';
import { createLaneStats, REAL_LOAD_NS } from './lane-stats.js';

function row(over: Partial<JobRow>): JobRow {
  return {
    id: 'j',
    source: 'passthrough',
    route: '/api/chat',
    api: 'chat',
    model: 'm',
    lane: 'm:latest',
    state: 'succeeded',
    priority: 0,
    stream: true,
    client: null,
    created_at: 0,
    started_at: 0,
    finished_at: 0,
    status_code: 200,
    error: null,
    ...over,
  };
}

describe('lane stats', () => {
  it('knows nothing about a lane it has not seen', () => {
    expect(createLaneStats().of('m:latest')).toEqual({ load_ms: null, tokens_per_s: null });
  });

  it('learns load time only from real loads, as a moving average', () => {
    const stats = createLaneStats();
    stats.learn(row({ load_duration: 5e6 })); // warm
    stats.learn(row({ load_duration: REAL_LOAD_NS })); // at the threshold: still warm
    expect(stats.of('m:latest').load_ms).toBeNull();
    stats.learn(row({ load_duration: 2000e6 }));
    expect(stats.of('m:latest').load_ms).toBe(2000);
    stats.learn(row({ load_duration: 3e6 }));
    expect(stats.of('m:latest').load_ms).toBe(2000);
    stats.learn(row({ load_duration: 1000e6 }));
    expect(stats.of('m:latest').load_ms).toBeCloseTo(2000 + 0.3 * (1000 - 2000));
  });

  it('averages tokens per second, per lane', () => {
    const stats = createLaneStats();
    stats.learn(row({ eval_count: 100, eval_duration: 1e9 }));
    stats.learn(row({ eval_count: 100, eval_duration: 0.5e9 }));
    stats.learn(row({ lane: 'other:latest', eval_count: 10, eval_duration: 1e9 }));
    expect(stats.of('m:latest').tokens_per_s).toBeCloseTo(100 + 0.3 * (200 - 100));
    expect(stats.of('other:latest')).toEqual({ load_ms: null, tokens_per_s: 10 });
  });

  it('learns nothing from jobs that did not succeed', () => {
    const stats = createLaneStats();
    stats.learn(row({ state: 'failed', load_duration: 2000e6, eval_count: 10, eval_duration: 1e9 }));
    stats.learn(row({ state: 'canceled', load_duration: 2000e6, eval_count: 10, eval_duration: 1e9 }));
    expect(stats.of('m:latest')).toEqual({ load_ms: null, tokens_per_s: null });
  });
});
