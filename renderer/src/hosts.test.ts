import { describe, expect, it } from 'vitest';
import type { HostRow } from '../../shared/api.js';
import { hostStatus, hostsHolding, severalHosts, upstreamTrouble } from './hosts.js';

function host(id: string, over: Partial<HostRow> = {}): HostRow {
  return {
    id,
    url: `http://${id}`,
    state: 'up',
    reason: null,
    since: 0,
    running: 0,
    memory: { budget_bytes: null, budget_source: 'unknown', max_loaded: 1, runners: [] },
    ...over,
  };
}

describe('hosts', () => {
  it('counts as several only from two hosts on', () => {
    expect(severalHosts(null)).toBe(false);
    expect(severalHosts({ hosts: [host('local')] })).toBe(false);
    expect(severalHosts({ hosts: [host('a:1'), host('b:1')] })).toBe(true);
  });

  it('says how long a host is down and why', () => {
    const down = hostStatus({ state: 'down', reason: 'connect ECONNREFUSED 127.0.0.1:11434', since: 1_000 }, 13_000);
    expect(down).toEqual({
      label: 'down 12 s',
      reason: 'connect ECONNREFUSED 127.0.0.1:11434',
      text: 'down 12 s · connect ECONNREFUSED 127.0.0.1:11434',
    });
  });

  it('gives a suspect host its reason and an up host none, even if one is left over', () => {
    expect(hostStatus({ state: 'suspect', reason: 'timeout', since: 0 }, 5_000).text).toBe('suspect · timeout');
    expect(hostStatus({ state: 'up', reason: 'old', since: 0 }, 5_000)).toEqual({ label: 'up', reason: null, text: 'up' });
    expect(hostStatus({ state: 'down', reason: null, since: 0 }, 500).text).toBe('down 500 ms');
  });

  it('names the hosts that hold a runner, in configuration order', () => {
    const runner = (lane: string) => ({ lane, model: lane, bytes: null, in_flight: 0 });
    const hosts = [
      host('a:1', { memory: { budget_bytes: null, budget_source: 'unknown', max_loaded: 2, runners: [runner('x:latest')] } }),
      host('b:1'),
      host('c:1', {
        memory: { budget_bytes: null, budget_source: 'unknown', max_loaded: 2, runners: [runner('y:latest'), runner('x:latest')] },
      }),
    ];
    expect(hostsHolding(hosts, 'x:latest')).toEqual(['a:1', 'c:1']);
    expect(hostsHolding(hosts, 'z:latest')).toEqual([]);
  });

  it('tells the top bar about one host by its upstream, about several by how many are down', () => {
    const upstream = { url: 'http://a:1', up: true };
    expect(upstreamTrouble({ hosts: [host('local')], upstream })).toBeNull();
    expect(upstreamTrouble({ hosts: [host('local', { state: 'down' })], upstream: { ...upstream, up: false } })).toEqual({
      text: 'Ollama unreachable',
      state: 'down',
    });
    const down = (id: string) => host(id, { state: 'down' });
    expect(upstreamTrouble({ hosts: [host('a:1', { state: 'suspect' }), host('b:1')], upstream })).toBeNull();
    expect(upstreamTrouble({ hosts: [down('a:1'), host('b:1'), host('c:1')], upstream: { ...upstream, up: false } })).toEqual({
      text: '1 of 3 hosts down',
      state: 'degraded',
    });
    expect(upstreamTrouble({ hosts: [down('a:1'), down('b:1')], upstream })).toEqual({ text: 'no Ollama host answering', state: 'down' });
  });
});
