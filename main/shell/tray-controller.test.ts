/**
 * The tray controller through its ports (a fake tray, manual timers), and the tray feed against a
 * real core: what the tray draws follows the core's state and events.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ForemanEvent, JobRow } from '../../shared/api.js';
import { startStack, type Stack } from '../test-support/harness.js';
import { createTrayController, type Timers, type TrayPort } from './tray-controller.js';
import { createTrayFeed, failingDeliveries, type CoreState, type TrayFeed } from './tray-feed.js';
import type { MenuItem, TrayActions } from './tray-model.js';

function manualTimers() {
  let seq = 0;
  const due = new Map<number, () => void>();
  const timers: Timers & { runAll(): Promise<void>; count(): number } = {
    setTimeout(fn) {
      due.set(++seq, fn);
      return seq;
    },
    clearTimeout: (h) => void due.delete(h as number),
    /** Fires every pending timer once (not the ones they schedule), then lets promises settle. */
    async runAll() {
      const now = [...due];
      due.clear();
      for (const [, fn] of now) fn();
      await new Promise((r) => setImmediate(r));
    },
    count: () => due.size,
  };
  return timers;
}

function fakeTray() {
  const calls: string[] = [];
  let menu: MenuItem[] = [];
  const notes: [string, string][] = [];
  const port: TrayPort = {
    setImage: (icon) => calls.push(`image ${icon}`),
    setToolTip: (text) => calls.push(`tooltip ${text}`),
    setMenu: (m) => {
      menu = m;
      calls.push('menu');
    },
    notify: (title, body) => notes.push([title, body]),
  };
  return { port, calls, notes, menu: () => menu };
}

const noActions: TrayActions = {
  open() {},
  pause() {},
  resume() {},
  startOllama() {},
  copyClientHost() {},
  editHosts() {},
  setLaunchAtLogin() {},
  setNotifyOnFailure() {},
  quit() {},
};

function fakeFeed(initial: CoreState) {
  let state = initial;
  let listener: ((e: ForemanEvent) => void) | null = null;
  const feed: TrayFeed & { set(s: Partial<CoreState>): void; emit(e: ForemanEvent): void; loads: number } = {
    loads: 0,
    async load() {
      feed.loads++;
      return state;
    },
    subscribe(fn) {
      listener = fn;
      return () => (listener = null);
    },
    post: vi.fn(async () => {}),
    set: (s) => (state = { ...state, ...s }),
    emit: (e) => listener?.(e),
  };
  return feed;
}

const idle: CoreState = { lanes: [], paused: false, upstreamUp: true, ollama: { status: 'running', managed: true }, failingDeliveries: 0 };
const failedJob = (id: string, model: string, error: string) => ({ id, model, state: 'failed', error, finished_at: 1 }) as JobRow;

function setup(state = idle, notifyOnFailure = true) {
  const timers = manualTimers();
  const tray = fakeTray();
  const feed = fakeFeed(state);
  const settings = { launchAtLogin: false, notifyOnFailure };
  const c = createTrayController({
    port: tray.port,
    feed,
    actions: noActions,
    settings: () => settings,
    clientHost: '127.0.0.1:11435',
    timers,
  });
  return { timers, tray, feed, settings, c };
}

describe('tray controller', () => {
  it('draws at once, then what the core says, and redraws only what changed', async () => {
    const t = setup();
    await t.c.start();
    expect(t.tray.calls).toEqual(['image idle', 'tooltip foreman: idle', 'menu', 'menu']);
    expect(t.tray.menu().map((m) => m.label)).toContain('Nothing queued');
    t.tray.calls.length = 0;

    t.feed.set({ lanes: [{ model: 'llama3.2:latest', queued: 3, running: 1 }] });
    const job = { id: 'j1', state: 'working', finished_at: null } as JobRow;
    t.feed.emit({ type: 'job', job });
    t.feed.emit({ type: 'job', job });
    t.feed.emit({ type: 'tokens', id: 'j1', content: 'x', thinking: '', count: 1 });
    const loadsBefore = t.feed.loads;
    await t.timers.runAll();
    expect(t.feed.loads).toBe(loadsBefore + 1);
    expect(t.tray.calls).toEqual(['image working', 'tooltip 3 queued · llama3.2 working', 'menu']);

    t.tray.calls.length = 0;
    t.feed.emit({ type: 'delivery', delivery: {} as never });
    await t.timers.runAll();
    expect(t.tray.calls).toEqual([]);
  });

  it('shows pause, upstream and Ollama events before the reload', async () => {
    const t = setup();
    await t.c.start();
    t.feed.emit({ type: 'queue', paused: true });
    expect(t.c.view?.icon).toBe('paused');
    t.feed.emit({ type: 'ollama', status: 'crashed', message: 'exited on SIGKILL' });
    expect(t.c.view).toMatchObject({ icon: 'problem', tooltip: 'paused · Ollama crashed, restarting' });
    t.feed.emit({ type: 'ollama', status: 'running', pid: 77 });
    expect(t.c.view?.menu.find((m) => m.id === 'ollama-status')?.label).toBe('Ollama: running (pid 77)');
  });

  it('turns failed jobs within a few seconds into one notification, and none when switched off', async () => {
    const t = setup();
    await t.c.start();
    t.feed.emit({ type: 'job', job: failedJob('a', 'llama3.2:latest', 'model "llama3.2" not found, try pulling it first') });
    await t.timers.runAll();
    expect(t.tray.notes).toEqual([['A llama3.2 job failed', 'model "llama3.2" not found, try pulling it first']]);
    t.feed.emit({ type: 'job', job: failedJob('b', 'llama3.2:latest', 'x') });
    t.feed.emit({ type: 'job', job: failedJob('c', 'gemma3:1b', 'y') });
    await t.timers.runAll();
    expect(t.tray.notes.at(-1)).toEqual(['2 jobs failed', 'llama3.2, gemma3:1b']);
    t.settings.notifyOnFailure = false;
    t.feed.emit({ type: 'job', job: failedJob('d', 'gemma3:1b', 'z') });
    await t.timers.runAll();
    expect(t.tray.notes.length).toBe(2);
  });

  it('says it is quitting, and stops following events when stopped', async () => {
    const t = setup({ ...idle, lanes: [{ model: 'a:latest', queued: 0, running: 1 }] });
    await t.c.start();
    t.c.setQuitting();
    expect(t.tray.menu().at(-1)).toMatchObject({ label: 'Quitting…', enabled: false });
    t.c.stop();
    expect(t.timers.count()).toBe(0);
    t.tray.calls.length = 0;
    t.feed.emit({ type: 'queue', paused: true });
    expect(t.tray.calls).toEqual([]);
  });
});

describe('tray feed on a real core', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('loads lanes, pause state, Ollama and delivery health, and posts actions that publish events', async () => {
    stack = await startStack({ sim: { tokensPerSecond: 50 } });
    const s = stack;
    const feed = createTrayFeed(s.foreman);
    const events: ForemanEvent[] = [];
    const off = feed.subscribe((e) => events.push(e));
    expect(await feed.load()).toEqual({
      lanes: [],
      paused: false,
      upstreamUp: true,
      ollama: { status: 'external', managed: false },
      failingDeliveries: 0,
    });

    await feed.post('/foreman/pause');
    expect(events).toContainEqual({ type: 'queue', paused: true });
    const waiting = fetch(`${s.url}/api/generate`, { method: 'POST', body: '{"model":"llama3.2","prompt":"hi","stream":false}' });
    await expect.poll(async () => (await feed.load()).lanes).toEqual([{ model: 'llama3.2:latest', queued: 1, running: 0 }]);
    expect((await feed.load()).paused).toBe(true);
    await feed.post('/foreman/resume');
    expect((await waiting).status).toBe(200);
    off();
  });

  it('counts deliveries that are retrying or gave up within the hour', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(
      failingDeliveries(
        [
          { state: 'pending', finished_at: null },
          { state: 'exhausted', finished_at: '2026-11-25T11:30:00Z' },
          { state: 'disabled', finished_at: '2026-11-25T10:30:00Z' },
        ],
        now,
      ),
    ).toBe(2);
  });
});
