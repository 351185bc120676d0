/**
 * The Electron entry itself, run under Node with `electron` replaced by a small fake (the real module
 * throws at import without its binary). It checks the wiring the unit tests cannot: every window
 * main.ts creates is hardened, the saved Ollama hosts follow the first one, the tray menu drives the
 * real core and the hosts form, and Quit closes it before exit.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { QueueSnapshot } from '../../shared/api.js';
import { createSimulator, type Simulator } from '../sim/simulator.js';
import { ROOT } from '../test-support/spawn-cli.js';
import { tempDir } from '../test-support/test-config.js';
import { webPreferencesProblems } from './hardening.js';
import type { MenuItem } from './tray-model.js';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  const emitter = () => {
    const handlers = new Map<string, Listener[]>();
    return {
      handlers,
      on(name: string, fn: Listener) {
        handlers.set(name, [...(handlers.get(name) ?? []), fn]);
      },
      emit(name: string, ...args: unknown[]) {
        for (const fn of handlers.get(name) ?? []) fn(...args);
      },
    };
  };
  let exited: (code: number) => void = () => {};
  return {
    emitter,
    app: emitter(),
    userData: '',
    appPath: '',
    exit: new Promise<number>((r) => (exited = r)),
    exited: (code: number) => exited(code),
    windows: [] as {
      options: { title?: string; webPreferences?: Record<string, unknown> };
      url: string;
      visible: boolean;
      destroyed: boolean;
      contents: ReturnType<typeof emitter> & { openHandler?: Listener };
      events: ReturnType<typeof emitter>;
    }[],
    trays: [] as { image: string; tooltip: string; menu: MenuItem[] }[],
    session: { request: null as Listener | null, check: null as Listener | null, before: null as Listener | null },
    clipboard: '',
    relaunched: 0,
    /** Message boxes shown, and the button each one gets. */
    boxes: [] as { title: string; detail: string; buttons: string[] }[],
    boxAnswer: 1,
  };
});

vi.mock('electron', () => {
  const { app: appEvents, emitter } = fake;
  const app = {
    on: (name: string, fn: Listener) => (appEvents.on(name, fn), app),
    getPath: (name: string) => `${fake.userData}${name === 'userData' ? '' : `/${name}`}`,
    getAppPath: () => fake.appPath,
    isPackaged: false,
    whenReady: async () => {},
    requestSingleInstanceLock: () => true,
    getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
    setLoginItemSettings: () => {},
    setAppUserModelId: () => {},
    exit: (code: number) => fake.exited(code),
    relaunch: () => void fake.relaunched++,
  };
  class BrowserWindow {
    private w: (typeof fake.windows)[number];
    webContents: (typeof fake.windows)[number]['contents'];
    constructor(options: { webPreferences?: Record<string, unknown> }) {
      const contents = Object.assign(emitter(), {
        setWindowOpenHandler(h: Listener) {
          contents.openHandler = h;
        },
      }) as (typeof fake.windows)[number]['contents'];
      this.w = { options, url: '', visible: false, destroyed: false, contents, events: emitter() };
      this.webContents = contents;
      fake.windows.push(this.w);
      // As Electron does for every new web contents.
      appEvents.emit('web-contents-created', {}, contents);
    }
    loadURL(url: string) {
      this.w.url = url;
      return Promise.resolve();
    }
    on(name: string, fn: Listener) {
      this.w.events.on(name, fn);
      return this;
    }
    once(name: string, fn: Listener) {
      return this.on(name, fn);
    }
    show = () => void (this.w.visible = true);
    hide = () => void (this.w.visible = false);
    focus = () => {};
    isMinimized = () => false;
    restore = () => {};
    destroy = () => void ((this.w.destroyed = true), (this.w.visible = false));
    isDestroyed = () => this.w.destroyed;
  }
  class Tray {
    t = { image: '', tooltip: '', menu: [] as MenuItem[] };
    constructor(image: { path: string }) {
      this.t.image = image.path;
      fake.trays.push(this.t);
    }
    setImage = (image: { path: string }) => void (this.t.image = image.path);
    setToolTip = (text: string) => void (this.t.tooltip = text);
    setContextMenu = (menu: { template: MenuItem[] }) => void (this.t.menu = menu.template);
    on() {}
  }
  return {
    app,
    BrowserWindow,
    Tray,
    Menu: { buildFromTemplate: (template: MenuItem[]) => ({ template }), setApplicationMenu: () => {} },
    Notification: Object.assign(class {}, { isSupported: () => false }),
    clipboard: { writeText: (text: string) => void (fake.clipboard = text) },
    dialog: {
      showErrorBox: (title: string, message: string) => console.error(title, message),
      showMessageBox: async (box: { title: string; detail: string; buttons: string[] }) => (
        fake.boxes.push(box),
        { response: fake.boxAnswer }
      ),
    },
    nativeImage: { createFromPath: (p: string) => ({ path: p }) },
    nativeTheme: { shouldUseDarkColors: false, on() {} },
    shell: { openExternal: async () => {} },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Listener) => void (fake.session.request = h),
        setPermissionCheckHandler: (h: Listener) => void (fake.session.check = h),
        webRequest: { onBeforeRequest: (h: Listener) => void (fake.session.before = h) },
      },
    },
  };
});

let sim: Simulator;
/** A second Ollama, saved in the settings as the user's extra host. */
let sim2: Simulator;
const savedEnv = { ...process.env };
const click = (menu: MenuItem[], label: string) => {
  const item = menu.find((m) => m.label === label);
  if (!item?.click) throw new Error(`no clickable "${label}" in ${menu.map((m) => m.label).join(', ')}`);
  item.click();
};

beforeAll(async () => {
  sim = createSimulator({ tokensPerSecond: 0, loadMs: 5 });
  const upstream = await sim.listen(0, '127.0.0.1');
  sim2 = createSimulator({ tokensPerSecond: 0, loadMs: 5 });
  const extra = await sim2.listen(0, '127.0.0.1');
  fake.userData = tempDir('foreman-app-');
  fs.writeFileSync(path.join(fake.userData, 'shell-settings.json'), JSON.stringify({ notifyOnFailure: true, extraHosts: [extra] }));
  fake.appPath = ROOT;
  Object.assign(process.env, { FOREMAN_LISTEN: '127.0.0.1:0', FOREMAN_UPSTREAM: upstream, FOREMAN_LOG_LEVEL: 'silent' });
  await import('./main.js');
  await vi.waitFor(() => expect(fake.windows.length).toBe(1));
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([sim.close(), sim2.close()]);
});

describe('the Electron entry (electron faked)', () => {
  it('starts the core with its data in userData and the Ollama supervisor on, and loads its /ui/ in a hardened window', async () => {
    const w = fake.windows[0]!;
    expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
    expect(w.visible).toBe(true);
    for (const win of fake.windows) expect(webPreferencesProblems(win.options.webPreferences)).toEqual([]);
    expect(fs.existsSync(`${fake.userData}/foreman.db`)).toBe(true);
    const health = (await (await fetch(new URL('/foreman/health', w.url))).json()) as { ollama: { managed: boolean } };
    expect(health.ollama.managed).toBe(true);
  });

  it('fronts the first host and then the extra host saved in its settings, both up', async () => {
    const ids = [sim.url!, sim2.url!].map((u) => new URL(u).host);
    await expect
      .poll(async () =>
        ((await (await fetch(new URL('/foreman/queue', fake.windows[0]!.url))).json()) as QueueSnapshot).hosts.map((h) => [h.id, h.state]),
      )
      .toEqual(ids.map((id) => [id, 'up']));
  });

  it('guards the window’s contents and the session', () => {
    const w = fake.windows[0]!;
    let prevented = false;
    w.contents.emit('will-navigate', { url: 'https://evil.example/', preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(w.contents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    let granted: boolean | undefined;
    fake.session.request!({}, 'media', (g: boolean) => (granted = g));
    expect(granted).toBe(false);
    let cancel: boolean | undefined;
    fake.session.before!({ url: 'https://cdn.example/x.js' }, (r: { cancel: boolean }) => (cancel = r.cancel));
    expect(cancel).toBe(true);
  });

  it('shows a tray whose icon file exists and whose menu drives the core', async () => {
    const tray = fake.trays[0]!;
    await vi.waitFor(() => expect(tray.menu.map((m) => m.label)).toContain('Nothing queued'));
    expect(fs.existsSync(tray.image)).toBe(true);
    expect(tray.tooltip).toBe('foreman: idle');
    const base = fake.windows[0]!.url;
    click(tray.menu, 'Pause queue');
    await vi.waitFor(() => expect(tray.menu.map((m) => m.label)).toContain('Resume queue'));
    expect(((await (await fetch(new URL('/foreman/queue', base))).json()) as { paused: boolean }).paused).toBe(true);
    expect(tray.image).toMatch(/paused-light\.png$/);
    click(tray.menu, 'Resume queue');
    click(tray.menu, `Copy OLLAMA_HOST=${new URL(base).host}`);
    expect(fake.clipboard).toBe(`OLLAMA_HOST=${new URL(base).host}`);
  });

  it('"Ollama hosts…" opens a hardened form; Save checks and writes the hosts, Later keeps them for the next start', async () => {
    const settingsFile = path.join(fake.userData, 'shell-settings.json');
    const origin = new URL(fake.windows[0]!.url).origin;
    click(fake.trays[0]!.menu, 'Ollama hosts…');
    await vi.waitFor(() => expect(fake.windows.length).toBe(2));
    const form = fake.windows[1]!;
    expect(form.options.title).toBe('Ollama hosts');
    expect(webPreferencesProblems(form.options.webPreferences)).toEqual([]);
    expect(decodeURIComponent(form.url)).toContain(`<code>${new URL(sim.url!).host}</code> (this computer)`);
    // A second click while it is open opens no other window.
    click(fake.trays[0]!.menu, 'Ollama hosts…');
    expect(fake.windows.length).toBe(2);

    const submit = (win: typeof form, hosts: string) => {
      let prevented = false;
      const url = `${origin}/foreman/app/hosts-form?${new URLSearchParams({ hosts, do: 'save' }).toString()}`;
      win.contents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    // A bad host: the same window shows the form again with the error; nothing is written.
    expect(submit(form, 'gpu1:99999')).toBe(true);
    await vi.waitFor(() => expect(decodeURIComponent(form.url)).toContain('the port &#34;99999&#34; is not a number from 1 to 65535'));
    expect(fake.windows.length).toBe(2);
    expect(form.destroyed).toBe(false);
    expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).extraHosts).toEqual([sim2.url]);

    fake.boxAnswer = 1;
    expect(submit(form, `${sim2.url}\ngpu1:11434`)).toBe(true);
    await vi.waitFor(() => expect(fake.boxes.map((b) => b.title)).toEqual(['Restart foreman to use these hosts?']));
    expect(fake.boxes[0]!.buttons).toEqual(['Restart now', 'Later']);
    expect(JSON.parse(fs.readFileSync(settingsFile, 'utf8'))).toEqual({ notifyOnFailure: true, extraHosts: [sim2.url, 'gpu1:11434'] });
    expect(fake.relaunched).toBe(0);
    expect(form.destroyed).toBe(true);
    fake.windows.splice(1);
  });

  it('keeps running when the window is closed, shows it again on a second launch, and quits through the core', async () => {
    const w = fake.windows[0]!;
    let prevented = false;
    w.events.emit('close', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(w.visible).toBe(false);
    fake.app.emit('second-instance');
    expect(w.visible).toBe(true);

    click(fake.trays[0]!.menu, 'Quit foreman');
    expect(await fake.exit).toBe(0);
    await expect(fetch(new URL('/foreman/health', w.url))).rejects.toThrow();
  });
});
