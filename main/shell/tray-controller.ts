/**
 * Keeps the tray in step with the core: reloads the state when events say it changed (debounced),
 * draws the tray model through a small port, and turns failed jobs into (coalesced) notifications.
 */
import type { ForemanEvent, JobRow } from '../../shared/api.js';
import type { CoreState, TrayFeed } from './tray-feed.js';
import { displayModel, trayView, type MenuItem, type TrayActions, type TrayIcon, type TrayInput, type TrayView } from './tray-model.js';

/** The tray as the controller sees it; main.ts adapts Electron's Tray and Menu to it. */
export interface TrayPort {
  setImage(icon: TrayIcon): void;
  setToolTip(text: string): void;
  setMenu(menu: MenuItem[]): void;
  notify(title: string, body: string): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TrayControllerOptions {
  port: TrayPort;
  feed: TrayFeed;
  actions: TrayActions;
  /** Read on every draw: settings the menu shows as checkboxes. */
  settings: () => { launchAtLogin: boolean; notifyOnFailure: boolean };
  clientHost: string;
  timers?: Timers;
  /** Events arriving within this window cause one reload. @default 150 */
  debounceMs?: number;
  /** Failures within this window become one notification. @default 5000 */
  notifyWindowMs?: number;
  /** Reload this often even without events (failed deliveries age out). @default 60000 */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

export function createTrayController(options: TrayControllerOptions) {
  const { port, feed, actions } = options;
  const timers = options.timers ?? realTimers;
  const debounceMs = options.debounceMs ?? 150;
  const notifyWindowMs = options.notifyWindowMs ?? 5000;
  const pollMs = options.pollMs ?? 60_000;

  let state: CoreState | null = null;
  let pid: number | undefined;
  let quitting = false;
  let drawn: { icon?: TrayIcon; tooltip?: string; menu?: string } = {};
  let view: TrayView | null = null;
  let reloadTimer: unknown = null;
  let pollTimer: unknown = null;
  let notifyTimer: unknown = null;
  let failed: JobRow[] = [];
  let unsubscribe: (() => void) | null = null;
  let stopped = false;

  function input(): TrayInput {
    const s = options.settings();
    return {
      lanes: state?.lanes ?? null,
      paused: state?.paused ?? false,
      upstreamUp: state?.upstreamUp ?? true,
      ollama: { status: 'checking', managed: false, ...state?.ollama, pid },
      failingDeliveries: state?.failingDeliveries ?? 0,
      clientHost: options.clientHost,
      launchAtLogin: s.launchAtLogin,
      notifyOnFailure: s.notifyOnFailure,
      quitting,
    };
  }

  /** Pushes what changed to the tray (everything when `force`, e.g. after a theme change). */
  function draw(force = false): void {
    if (stopped) return;
    view = trayView(input(), actions);
    const menuKey = JSON.stringify(view.menu);
    if (force || drawn.icon !== view.icon) port.setImage(view.icon);
    if (force || drawn.tooltip !== view.tooltip) port.setToolTip(view.tooltip);
    if (force || drawn.menu !== menuKey) port.setMenu(view.menu);
    drawn = { icon: view.icon, tooltip: view.tooltip, menu: menuKey };
  }

  async function reload(): Promise<void> {
    try {
      state = await feed.load();
    } catch (err) {
      // During shutdown the core answers 503; the last state stays on screen.
      if (!quitting) options.onError?.(err);
    }
    draw();
  }

  function scheduleReload(): void {
    if (reloadTimer !== null || stopped) return;
    reloadTimer = timers.setTimeout(() => {
      reloadTimer = null;
      void reload();
    }, debounceMs);
  }

  function schedulePoll(): void {
    pollTimer = timers.setTimeout(() => {
      scheduleReload();
      schedulePoll();
    }, pollMs);
  }

  function flushFailures(): void {
    notifyTimer = null;
    const jobs = failed;
    failed = [];
    if (!options.settings().notifyOnFailure || jobs.length === 0) return;
    if (jobs.length === 1) {
      const j = jobs[0]!;
      port.notify(`A ${displayModel(j.model)} job failed`, j.error ?? 'no error message');
    } else {
      const models = [...new Set(jobs.map((j) => displayModel(j.model)))];
      port.notify(`${jobs.length} jobs failed`, models.join(', '));
    }
  }

  function onEvent(e: ForemanEvent): void {
    switch (e.type) {
      case 'tokens':
        return;
      case 'ollama':
        pid = e.status === 'running' || e.status === 'starting' ? e.pid : undefined;
        if (state) state = { ...state, ollama: { ...state.ollama, status: e.status } };
        draw();
        break;
      case 'queue':
        if (state) state = { ...state, paused: e.paused };
        draw();
        break;
      case 'upstream':
        if (state) state = { ...state, upstreamUp: e.up };
        draw();
        break;
      case 'job':
        if (e.job.state === 'failed' && e.job.finished_at !== null) {
          failed.push(e.job);
          notifyTimer ??= timers.setTimeout(flushFailures, notifyWindowMs);
        }
        break;
    }
    scheduleReload();
  }

  return {
    get view(): TrayView | null {
      return view;
    },

    /** Draws a first frame at once, then loads and follows the core's events. */
    async start(): Promise<void> {
      draw(true);
      unsubscribe = feed.subscribe(onEvent);
      schedulePoll();
      await reload();
    },

    /** Redraws everything, e.g. when the menu bar turns dark or a setting changed. */
    redraw(): void {
      draw(true);
    },

    /** Quit was chosen: the menu says so and offers nothing but patience. */
    setQuitting(): void {
      quitting = true;
      draw();
    },

    stop(): void {
      stopped = true;
      unsubscribe?.();
      for (const t of [reloadTimer, pollTimer, notifyTimer]) if (t !== null) timers.clearTimeout(t);
    },
  };
}

export type TrayController = ReturnType<typeof createTrayController>;
