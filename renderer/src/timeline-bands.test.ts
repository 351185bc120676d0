import { describe, expect, it } from 'vitest';
import type { TimelineBar, TimelineSegment } from '../../shared/api.js';
import { bandKey, bandsOf } from './timeline-bands.js';

const seg = (model: string, host?: string | null): TimelineSegment => ({ model, host, start: 0, end: 1, load_ms: 0 });
const bar = (model: string, host?: string | null): TimelineBar => ({
  id: `${host}-${model}`,
  model,
  host,
  source: 'passthrough',
  state: 'succeeded',
  start: 0,
  end: 1,
});

describe('timeline bands', () => {
  it('keys by model alone with one host, whatever the rows carry', () => {
    expect(bandKey({ model: 'a:latest', host: 'local' }, false)).toBe('a:latest');
    expect(bandsOf({ segments: [seg('b:latest', 'local'), seg('a:latest', 'local')], bars: [bar('c:latest')] }, null)).toEqual([
      'a:latest',
      'b:latest',
      'c:latest',
    ]);
  });

  it('gives each host and model a band, hosts in configuration order', () => {
    const data = {
      segments: [seg('a:latest', 'gpu1:11434'), seg('a:latest', 'gpu2:11434'), seg('b:latest', 'gpu2:11434')],
      bars: [bar('b:latest', 'gpu2:11434')],
    };
    expect(bandsOf(data, ['gpu2:11434', 'gpu1:11434'])).toEqual([
      'gpu2:11434 · a:latest',
      'gpu2:11434 · b:latest',
      'gpu1:11434 · a:latest',
    ]);
  });

  it('puts hosts no longer configured after the others, and rows from before hosts last', () => {
    const data = { segments: [seg('a:latest', null), seg('a:latest', 'old:11434'), seg('a:latest', 'gpu1:11434')], bars: [] };
    expect(bandsOf(data, ['gpu1:11434', 'gpu2:11434'])).toEqual(['gpu1:11434 · a:latest', 'old:11434 · a:latest', 'a:latest']);
  });
});
