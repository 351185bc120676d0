import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_HEALTH_POLICY, initialHealth, nextHealth, probeDue, takesWork, type Health } from './host-health.js';

describe('host health', () => {
  it('goes suspect on one failure, down on the second, and up again on one probe that passes', () => {
    let h = initialHealth(0);
    h = nextHealth(h, { kind: 'failed', reason: 'ECONNREFUSED' }, 10);
    expect([h.state, takesWork(h)]).toEqual(['suspect', true]);
    h = nextHealth(h, { kind: 'failed', reason: 'ECONNREFUSED' }, 20);
    expect([h.state, takesWork(h), h.retryAt]).toEqual(['down', false, 520]);
    expect(probeDue(h, 519, 20, 1000)).toBe(false);
    expect(probeDue(h, 520, 20, 1000)).toBe(true);
    h = nextHealth(h, { kind: 'ok' }, 600);
    expect([h.state, h.failures, h.since]).toEqual(['up', 0, 600]);
  });

  it('backs off exponentially while down, up to the ceiling', () => {
    let h: Health = initialHealth(0);
    const waits: number[] = [];
    for (let t = 0; t < 12; t++) {
      h = nextHealth(h, { kind: 'failed', reason: 'timeout' }, t);
      if (h.state === 'down') waits.push(h.backoffMs);
    }
    expect(waits.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...waits)).toBe(DEFAULT_HEALTH_POLICY.maxBackoffMs);
  });

  it('a single success always restores an up host, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 30 }), (events) => {
        let h = initialHealth(0);
        events.forEach((ok, i) => {
          h = nextHealth(h, ok ? { kind: 'ok' } : { kind: 'failed', reason: 'x' }, i);
        });
        const after = nextHealth(h, { kind: 'ok' }, 100);
        expect(after.state).toBe('up');
        expect(after.failures).toBe(0);
        expect(takesWork(after)).toBe(true);
      }),
    );
  });
});
