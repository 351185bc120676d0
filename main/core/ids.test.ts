import { describe, expect, it, vi } from 'vitest';
import { newJobId, randomHex } from './ids.js';

describe('job ids', () => {
  it('sort by creation time, then by order within a millisecond, and never repeat', () => {
    const ids = [
      newJobId(1_000),
      newJobId(1_000),
      newJobId(1_000),
      newJobId(1_001),
      newJobId(2_000_000_000_000),
      newJobId(2_000_000_000_000),
    ];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^job_[0-9a-z]{9}[0-9a-z]{3}[0-9a-f]{8}$/);
    expect(ids[0]!.slice(0, 13)).toBe(`job_${(1000).toString(36).padStart(9, '0')}`);
    expect(ids[4]!.slice(0, 13)).toBe(`job_${(2_000_000_000_000).toString(36).padStart(9, '0')}`);
    expect(ids[5]!.slice(13, 16)).toBe('001');
  });

  it('the first id of a process carries its time, even at time 0 (a test clock)', async () => {
    vi.resetModules();
    const fresh = await import('./ids.js');
    expect(fresh.newJobId(0)).toMatch(/^job_000000000000[0-9a-f]{8}$/);
  });

  it('random hex has two digits per byte, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const hex = randomHex(i % 2 ? 4 : 8);
      expect(hex).toMatch(i % 2 ? /^[0-9a-f]{8}$/ : /^[0-9a-f]{16}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(2000);
    expect(randomHex(4096)).toMatch(/^[0-9a-f]{8192}$/);
  });
});
