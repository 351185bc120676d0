import { describe, expect, it } from 'vitest';
import { middleEllipsis } from './middle-ellipsis.js';

const upTo = (n: number) => (s: string) => s.length <= n;

describe('middleEllipsis', () => {
  it('keeps a name that fits whole', () => {
    expect(middleEllipsis('llama3.2:latest', upTo(15))).toBe('llama3.2:latest');
  });

  it('cuts the middle of a long name, keeping its start and its tag', () => {
    const cut = middleEllipsis('nomic-embed-text:latest', upTo(15));
    expect(cut).toBe('nomic-e…:latest');
    expect(cut).toHaveLength(15);
  });

  it('gives the start the odd character, and degrades to an ellipsis alone', () => {
    expect(middleEllipsis('abcdefgh', upTo(5))).toBe('ab…gh');
    expect(middleEllipsis('abcdefgh', upTo(6))).toBe('abc…gh');
    expect(middleEllipsis('abcdefgh', upTo(0))).toBe('…');
  });
});
