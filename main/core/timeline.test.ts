import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../shared/types.js';
import { buildTimeline } from './timeline.js';

let n = 0;
function ran(lane: string, start: number, end: number, over: Partial<JobSummary> = {}): JobSummary {
  n++;
  return {
    id: `job_${String(n).padStart(4, '0')}`,
    source: 'passthrough',
    route: '/api/chat',
    api: 'chat',
    model: lane,
    lane,
    state: 'succeeded',
    priority: 0,
    stream: true,
    client: null,
    created_at: start,
    started_at: start,
    finished_at: end,
    status_code: 200,
    error: null,
    ...over,
  };
}

describe('timeline', () => {
  it('draws one segment per model switch on a single host', () => {
    const t = buildTimeline([ran('a', 0, 10), ran('a', 10, 20), ran('b', 20, 30), ran('a', 30, 40)], 0, 50);
    expect(t.segments.map((s) => [s.model, s.start, s.end])).toEqual([
      ['a', 0, 20],
      ['b', 20, 30],
      ['a', 30, 40],
    ]);
  });

  it('keeps a segment per host: work on another host in between does not split it', () => {
    const t = buildTimeline(
      [
        ran('a', 0, 10, { host: 'gpu1:11434' }),
        ran('b', 2, 12, { host: 'gpu2:11434' }),
        ran('a', 10, 20, { host: 'gpu1:11434' }),
        ran('b', 12, 22, { host: 'gpu2:11434' }),
      ],
      0,
      30,
    );
    expect(t.segments.map((s) => [s.host, s.model, s.start, s.end])).toEqual([
      ['gpu1:11434', 'a', 0, 20],
      ['gpu2:11434', 'b', 2, 22],
    ]);
    expect(t.bars.map((b) => b.host)).toEqual(['gpu1:11434', 'gpu2:11434', 'gpu1:11434', 'gpu2:11434']);
  });

  it('gives the same model on two hosts a segment each', () => {
    const t = buildTimeline([ran('a', 0, 10, { host: 'gpu1:11434' }), ran('a', 1, 11, { host: 'gpu2:11434' })], 0, 20);
    expect(t.segments.map((s) => [s.host, s.model])).toEqual([
      ['gpu1:11434', 'a'],
      ['gpu2:11434', 'a'],
    ]);
  });

  it('names no host for rows from before hosts', () => {
    const t = buildTimeline([ran('a', 0, 10)], 0, 20);
    expect(t.segments[0]!.host).toBeNull();
    expect(t.bars[0]!.host).toBeNull();
  });
});
