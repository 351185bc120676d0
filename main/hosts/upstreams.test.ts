import { describe, expect, it } from 'vitest';
import { parseBytes, parseUpstreams } from './upstreams.js';

describe('--upstream lists', () => {
  it('reads one address as before, a comma list, repeats, and per-host settings', () => {
    expect(parseUpstreams(['127.0.0.1:11434'], '--upstream').map((s) => s.id)).toEqual(['127.0.0.1:11434']);
    const specs = parseUpstreams(['http://gpu1:11434#gpu-memory=24GB&max-loaded=2,gpu2', 'http://gpu3:11500'], '--upstream');
    expect(specs.map((s) => [s.id, s.address.origin, s.gpuMemory, s.maxLoaded])).toEqual([
      ['gpu1:11434', 'http://gpu1:11434', 24e9, 2],
      ['gpu2:11434', 'http://gpu2:11434', null, null],
      ['gpu3:11500', 'http://gpu3:11500', null, null],
    ]);
  });

  it('names the source and the item in every error', () => {
    expect(() => parseUpstreams(['a#gpu-memory=lots'], 'OLLAMA_HOST')).toThrow(
      'OLLAMA_HOST: gpu-memory wants a size such as 24GB, got "lots" in "a#gpu-memory=lots"',
    );
    expect(() => parseUpstreams(['a#max-loaded=0'], '--upstream')).toThrow(/max-loaded wants a whole number/);
    expect(() => parseUpstreams(['a#colour=red'], '--upstream')).toThrow(/unknown host setting "colour"/);
    expect(() => parseUpstreams(['a,a:11434'], '--upstream')).toThrow('--upstream: a:11434 is listed twice');
    expect(() => parseUpstreams([' , '], '--upstream')).toThrow(/no Ollama host/);
  });

  it('reads sizes in decimal and binary units', () => {
    expect([parseBytes('24GB'), parseBytes('12GiB'), parseBytes('512mb'), parseBytes('100'), parseBytes('0'), parseBytes('x')]).toEqual([
      24e9,
      12 * 2 ** 30,
      512e6,
      100,
      null,
      null,
    ]);
  });
});
