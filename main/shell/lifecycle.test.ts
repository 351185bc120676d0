/** The app's lifecycle through a fake shell port, with a fake core and with a real one. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openStore } from '../store/store.js';
import { startStack } from '../test-support/harness.js';
import { createLifecycle, type CoreHandle, type Preventable, type ShellPort, type WindowPort } from './lifecycle.js';
import { startForeman } from '../app/foreman.js';
import { testConfig } from '../test-support/test-config.js';
import { runningForemanWindow, startErrorMessage } from './shell-config.js';

function fakeShell(options: { lock?: boolean; answer?: boolean } = {}) {
  const log: string[] = [];
  const handlers: Record<string, ((e: Preventable) => void)[]> = {};
  const windows: (WindowPort & { url: string; visible: boolean; close(): boolean })[] = [];
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((r) => (exited = r));
  const on = (name: string) => (fn: (e: Preventable) => void) => void (handlers[name] ??= []).push(fn);
  const port: ShellPort = {
    requestSingleInstanceLock: () => options.lock ?? true,
    onSecondInstance: on('second-instance'),
    onActivate: on('activate'),
    onBeforeQuit: on('before-quit'),
    onWindowAllClosed: on('window-all-closed'),
    whenReady: async () => void log.push('ready'),
    createWindow(url) {
      let closeFns: ((e: Preventable) => void)[] = [];
      const w = {
        url,
        visible: false,
        show: () => void ((w.visible = true), log.push('show')),
        focus: () => void log.push('focus'),
        hide: () => void ((w.visible = false), log.push('hide')),
        isMinimized: () => false,
        restore: () => {},
        onClose: (fn: (e: Preventable) => void) => void closeFns.push(fn),
        destroy: () => void ((closeFns = []), log.push('destroy')),
        /** The user clicks the close button: true if the window really closed. */
        close() {
          let prevented = false;
          for (const fn of closeFns) fn({ preventDefault: () => (prevented = true) });
          return !prevented;
        },
      };
      windows.push(w);
      log.push(`window ${url}`);
      return w;
    },
    showError: (title, message) => void log.push(`error ${title}: ${message}`),
    confirm: async (title, message, yes, no) => {
      log.push(`ask ${title}: ${message} [${yes} / ${no}]`);
      return options.answer ?? false;
    },
    openExternal: (url) => void log.push(`browser ${url}`),
    exit: (code) => {
      log.push(`exit ${code}`);
      exited(code);
    },
    relaunch: () => void log.push('relaunch'),
  };
  /** Emits an app event; true if a listener prevented its default. */
  const emit = (name: string) => {
    let prevented = false;
    for (const fn of handlers[name] ?? []) fn({ preventDefault: () => (prevented = true) });
    return prevented;
  };
  return { port, log, windows, emit, exit };
}

function fakeCore(log: string[], closeMs = 0): CoreHandle & { graces: number[] } {
  const graces: number[] = [];
  return {
    url: 'http://127.0.0.1:11435',
    graces,
    async close(graceMs) {
      graces.push(graceMs);
      log.push('core closing');
      await new Promise((r) => setTimeout(r, closeMs));
      log.push('core closed');
    },
  };
}

describe('lifecycle', () => {
  it('a second launch exits at once and starts nothing', async () => {
    const s = fakeShell({ lock: false });
    let started = false;
    const life = createLifecycle({ port: s.port, startCore: async () => ((started = true), fakeCore(s.log)) });
    expect(await life.run()).toBe(false);
    expect(s.log).toEqual(['exit 0']);
    expect(started).toBe(false);
  });

  it('starts the core after ready, then the tray, then shows the core’s /ui/', async () => {
    const s = fakeShell();
    const life = createLifecycle({
      port: s.port,
      startCore: async () => (s.log.push('core'), fakeCore(s.log)),
      onCoreStarted: () => void s.log.push('tray'),
    });
    expect(await life.run()).toBe(true);
    expect(s.log).toEqual(['ready', 'core', 'tray', 'window http://127.0.0.1:11435/ui/', 'show', 'focus']);
  });

  it('closing the window hides it and keeps foreman running; another launch or a dock click shows it again', async () => {
    const s = fakeShell();
    const life = createLifecycle({ port: s.port, startCore: async () => fakeCore(s.log) });
    await life.run();
    const w = s.windows[0]!;
    expect(w.close()).toBe(false);
    expect(w.visible).toBe(false);
    s.emit('window-all-closed');
    expect(s.log).not.toContain('exit 0');
    s.emit('second-instance');
    expect(w.visible).toBe(true);
    w.close();
    s.emit('activate');
    expect(w.visible).toBe(true);
    expect(s.windows.length).toBe(1);
  });

  it('launched at login it stays in the tray until opened', async () => {
    const s = fakeShell();
    const life = createLifecycle({ port: s.port, startCore: async () => fakeCore(s.log), startHidden: true });
    await life.run();
    expect(s.windows).toEqual([]);
    life.openWindow();
    expect(s.windows[0]!.visible).toBe(true);
  });

  it('quit tells the tray, closes the core with the grace period, and only then exits; twice is once', async () => {
    const s = fakeShell();
    const core = fakeCore(s.log, 30);
    const life = createLifecycle({
      port: s.port,
      startCore: async () => core,
      onQuitting: () => void s.log.push('tray: quitting'),
      graceMs: 7000,
    });
    await life.run();
    s.log.length = 0;
    const a = life.quit();
    const b = life.quit();
    expect(life.quitting).toBe(true);
    await Promise.all([a, b]);
    expect(s.log).toEqual(['tray: quitting', 'hide', 'core closing', 'core closed', 'destroy', 'exit 0']);
    expect(core.graces).toEqual([7000]);
    // Once quitting, the window really closes and cannot be reopened.
    expect(s.windows[0]!.close()).toBe(true);
  });

  it('restart (new Ollama hosts) asks for a relaunch, then quits as Quit does; during a quit it does nothing more', async () => {
    const s = fakeShell();
    const core = fakeCore(s.log, 10);
    const life = createLifecycle({ port: s.port, startCore: async () => core, graceMs: 3000 });
    await life.run();
    s.log.length = 0;
    await life.restart();
    expect(s.log).toEqual(['relaunch', 'hide', 'core closing', 'core closed', 'destroy', 'exit 0']);
    expect(core.graces).toEqual([3000]);

    const t = fakeShell();
    const other = createLifecycle({ port: t.port, startCore: async () => fakeCore(t.log, 10) });
    await other.run();
    const quitting = other.quit();
    await other.restart();
    await quitting;
    expect(t.log).not.toContain('relaunch');
  });

  it('an OS quit (Cmd+Q, log-out) is held back until the core has closed', async () => {
    const s = fakeShell();
    const life = createLifecycle({ port: s.port, startCore: async () => fakeCore(s.log, 20) });
    await life.run();
    expect(s.emit('before-quit')).toBe(true);
    expect(await s.exit).toBe(0);
    expect(s.log.indexOf('core closed')).toBeLessThan(s.log.indexOf('exit 0'));
  });

  it('shows why the core could not start, and exits 1', async () => {
    const s = fakeShell();
    const life = createLifecycle({ port: s.port, startCore: async () => Promise.reject(new Error('127.0.0.1:11435 is already in use')) });
    expect(await life.run()).toBe(false);
    expect(s.log).toEqual(['ready', 'error foreman could not start: 127.0.0.1:11435 is already in use', 'exit 1']);
  });

  it.each([
    [true, 'opens the running one in the browser and exits 0', 0],
    [false, 'quits when the user declines, exit 1', 1],
  ])('on a data folder a running foreman holds, it says so and offers it: %s %s', async (answer, _what, code) => {
    const stack = await startStack();
    try {
      const s = fakeShell({ answer });
      // As main.ts does: the real start failure in words, with the error as its cause.
      const config = testConfig(stack.simUrl, {}, stack.dataDir);
      const startCore = () =>
        startForeman(config).catch((err: unknown) => Promise.reject(new Error(startErrorMessage(err, config), { cause: err })));
      const life = createLifecycle({ port: s.port, startCore, runningWindow: runningForemanWindow });
      expect(await life.run()).toBe(false);
      const question =
        `ask foreman is already running: foreman is already running (pid ${process.pid}) with the data folder ${stack.dataDir}, at ${stack.url}. ` +
        'Use that one, or stop it and start the app again. [Open it in the browser / Quit]';
      expect(s.log).toEqual(['ready', question, ...(answer ? [`browser ${stack.url}/ui/`] : []), `exit ${code}`]);
      expect(s.windows).toEqual([]);
      // The running one was not disturbed.
      expect((await fetch(`${stack.url}/foreman/health`)).status).toBe(200);
    } finally {
      await stack.close();
    }
  });

  it('with a real core: quit stops taking work, lets the running job finish, then exits', async () => {
    const stack = await startStack({ sim: { tokensPerSecond: 40 } });
    const s = fakeShell();
    const life = createLifecycle({ port: s.port, startCore: async () => stack.foreman, graceMs: 5000 });
    await life.run();
    const res = await fetch(`${stack.url}/api/generate`, {
      method: 'POST',
      body: '{"model":"llama3.2","prompt":"go on [[sim:tokens=12]]"}',
    });
    const reader = res.body!.getReader();
    await reader.read();
    const quitting = life.quit();
    await expect.poll(async () => (await fetch(`${stack.url}/api/version`)).status).toBe(503);
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest.trim().split('\n').at(-1)).toContain('"done":true');
    await quitting;
    expect(s.log.at(-1)).toBe('exit 0');
    // The database is closed, with the finished job in it.
    expect(() => stack.foreman.store.listJobs({})).toThrow(/not open/);
    const store = openStore({ file: path.join(stack.dataDir, 'foreman.db') });
    expect(store.listJobs({ state: 'succeeded' }).length).toBe(1);
    store.close();
    await stack.sim.close();
  });
});
