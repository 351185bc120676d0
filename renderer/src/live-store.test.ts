import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ForemanEvent, QueueSnapshot } from '../../shared/api.js';
import type { StreamHandlers } from './event-stream.js';
import { createLiveStore } from './live-store.js';

afterEach(() => vi.useRealTimers());

const snapshot = (eventId: string): QueueSnapshot => ({
  event_id: eventId,
  paused: false,
  current: null,
  lanes: [],
  resident: [],
  upstream: { url: 'http://ollama', up: true },
  memory: { budget_bytes: null, budget_source: 'unknown', max_loaded: 1, runners: [] },
  hosts: [],
  ollama: { status: 'external', managed: false },
  now: 5_000,
});

describe('createLiveStore', () => {
  it('carries out what the step asks: fetch on open, batched events after a timer, tokens, listeners', async () => {
    vi.useFakeTimers({ now: 1_000 });
    let stream!: StreamHandlers;
    const fetchQueue = vi.fn(async () => snapshot('b:0'));
    const tokens = { append: vi.fn(), noteJob: vi.fn(), notify: vi.fn() };
    const store = createLiveStore({ fetchQueue, openStream: (h) => ((stream = h), () => {}), tokens });
    const changes = vi.fn();
    const seen: ForemanEvent[] = [];
    store.subscribe(changes);
    store.onEvent((e) => seen.push(e));
    store.start();
    store.start();

    stream.onOpen();
    expect(fetchQueue).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().snapshot?.event_id).toBe('b:0');
    expect(store.serverNow()).toBe(5_000);

    stream.onEvent('b:1', { type: 'queue', paused: true });
    stream.onEvent('b:2', { type: 'tokens', id: 'job_1', content: 'hi', thinking: '', count: 1 });
    expect(seen).toEqual([]);
    const before = changes.mock.calls.length;
    vi.advanceTimersByTime(40);
    expect(store.getState().snapshot?.paused).toBe(true);
    expect(changes.mock.calls.length).toBe(before + 1);
    expect(seen.map((e) => e.type)).toEqual(['queue', 'tokens']);
    expect(tokens.append).toHaveBeenCalledWith('job_1', 'hi', '', 1);
    expect(tokens.notify).toHaveBeenCalledTimes(1);
    store.stop();
  });
});
