import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../sim/simulator.js';
import { createOllamaClient } from '../ollama/client.js';
import { parseOllamaHost } from '../ollama/ollama-host.js';
import { createScheduler, systemClock } from '../scheduler/scheduler.js';
import { createEventHub } from '../core/event-hub.js';
import { createHostMonitor, type HostMonitor } from './host-monitor.js';

let sim: Simulator | undefined;
let monitor: HostMonitor | undefined;
afterEach(async () => {
  monitor?.stop();
  await sim?.close();
  sim = undefined;
});

describe('a watched host', () => {
  it('goes down when it stops answering, takes no work meanwhile, and comes back when it answers again', async () => {
    sim = createSimulator({ loadMs: 1 });
    const url = await sim.listen(0);
    const port = Number(new URL(url).port);
    const client = createOllamaClient({ upstream: parseOllamaHost(url) });
    const hub = createEventHub();
    const scheduler = createScheduler({ hosts: [{ id: 'a' }] });
    const changes: boolean[] = [];
    monitor = createHostMonitor({
      id: 'a',
      client,
      hub,
      scheduler,
      clock: systemClock,
      intervalMs: 100,
      onHealth: (h) => changes.push(h.state !== 'down'),
    });
    monitor.start();
    await expect.poll(() => monitor!.health.failures).toBe(0);
    await sim.close();
    await expect.poll(() => monitor!.up, { timeout: 3000 }).toBe(false);
    expect(scheduler.snapshot().hosts[0]!.up).toBe(false);
    // Work for a down host waits; it is not handed a slot.
    const ticket = scheduler.enqueue({ id: 'j1', lane: 'llama3.2:latest', cls: 0 });
    expect(scheduler.running).toBe(0);
    sim = createSimulator({ loadMs: 1 });
    await sim.listen(port);
    await expect.poll(() => monitor!.up, { timeout: 5000 }).toBe(true);
    expect((await ticket.slot)?.host).toBe('a');
    expect(changes).toEqual([false, true]);
    await client.close();
  });

  it('counts a failed request at once', async () => {
    const client = createOllamaClient({ upstream: parseOllamaHost('127.0.0.1:9') });
    const scheduler = createScheduler({ hosts: [{ id: 'b' }] });
    monitor = createHostMonitor({ id: 'b', client, hub: createEventHub(), scheduler, clock: systemClock, intervalMs: 60_000 });
    monitor.reportFailure('connect ECONNREFUSED');
    expect(monitor.up).toBe(false);
    expect(monitor.health.reason).toBe('connect ECONNREFUSED');
    await client.close();
  });
});
