/** The tray model: state → icon, tooltip and menu; menu items call the actions. */
import { describe, expect, it, vi } from 'vitest';
import { iconFile, trayLanes, trayView, type MenuItem, type TrayActions, type TrayInput } from './tray-model.js';

function input(over: Partial<TrayInput> = {}): TrayInput {
  return {
    lanes: [],
    paused: false,
    upstreamUp: true,
    ollama: { status: 'running', managed: true, pid: 4242 },
    failingDeliveries: 0,
    clientHost: '127.0.0.1:11435',
    launchAtLogin: false,
    notifyOnFailure: true,
    quitting: false,
    ...over,
  };
}

function actions() {
  return {
    open: vi.fn<() => void>(),
    pause: vi.fn<() => void>(),
    resume: vi.fn<() => void>(),
    startOllama: vi.fn<() => void>(),
    copyClientHost: vi.fn<() => void>(),
    editHosts: vi.fn<() => void>(),
    setLaunchAtLogin: vi.fn<(on: boolean) => void>(),
    setNotifyOnFailure: vi.fn<(on: boolean) => void>(),
    quit: vi.fn<() => void>(),
  } satisfies TrayActions;
}

const item = (menu: MenuItem[], id: string) => {
  const found = menu.find((m) => m.id === id);
  if (!found) throw new Error(`no menu item ${id} in ${menu.map((m) => m.id ?? m.label ?? m.type).join(', ')}`);
  return found;
};
const labels = (menu: MenuItem[]) => menu.map((m) => (m.type === 'separator' ? '---' : m.label));

describe('tray icon and tooltip', () => {
  it('is idle with nothing to do', () => {
    const v = trayView(input(), actions());
    expect(v.icon).toBe('idle');
    expect(v.tooltip).toBe('foreman: idle');
  });

  it('is working while jobs wait or run, and says how many and which model', () => {
    const v = trayView(
      input({
        lanes: [
          { model: 'llama3.2:latest', queued: 2, running: 1 },
          { model: 'gemma3:1b', queued: 1, running: 0 },
        ],
      }),
      actions(),
    );
    expect(v.icon).toBe('working');
    expect(v.tooltip).toBe('3 queued · llama3.2 working');
  });

  it('is paused when the queue is paused, even with work waiting', () => {
    const v = trayView(input({ paused: true, lanes: [{ model: 'qwen3:8b', queued: 4, running: 0 }] }), actions());
    expect(v.icon).toBe('paused');
    expect(v.tooltip).toBe('4 queued · paused');
  });

  it('shows a problem when Ollama is down, crashed or missing, or deliveries fail; a starting Ollama is not one', () => {
    const a = actions();
    expect(trayView(input({ upstreamUp: false, ollama: { status: 'external', managed: false } }), a)).toMatchObject({
      icon: 'problem',
      tooltip: 'Ollama is not running',
    });
    expect(trayView(input({ upstreamUp: false, ollama: { status: 'restarting', managed: true } }), a)).toMatchObject({
      icon: 'problem',
      tooltip: 'Ollama crashed, restarting',
    });
    expect(trayView(input({ upstreamUp: false, ollama: { status: 'not-found', managed: true } }), a)).toMatchObject({
      icon: 'problem',
      tooltip: 'Ollama is not installed',
    });
    expect(trayView(input({ upstreamUp: false, ollama: { status: 'starting', managed: true } }), a).icon).toBe('idle');
    expect(trayView(input({ failingDeliveries: 1 }), a)).toMatchObject({ icon: 'problem', tooltip: '1 webhook delivery failing' });
    expect(trayView(input({ failingDeliveries: 3, paused: true }), a)).toMatchObject({
      icon: 'problem',
      tooltip: 'paused · 3 webhook deliveries failing',
    });
  });

  it('keeps the tooltip within what Windows shows', () => {
    const lanes = Array.from({ length: 20 }, (_, i) => ({ model: `a-rather-long-model-name-${i}:q4_K_M`, queued: 1, running: 1 }));
    expect(trayView(input({ lanes }), actions()).tooltip.length).toBeLessThanOrEqual(127);
  });

  it('names light and dark icon files', () => {
    expect(iconFile('working', false)).toBe('working-light.png');
    expect(iconFile('problem', true)).toBe('problem-dark.png');
  });
});

describe('tray menu', () => {
  it('has open, pause, queued counts per model, Ollama status, copy, hosts, settings and quit', () => {
    const v = trayView(
      input({
        lanes: [
          { model: 'llama3.2:latest', queued: 2, running: 1 },
          { model: 'gemma3:1b', queued: 1, running: 0 },
          { model: 'idle:latest', queued: 0, running: 0 },
        ],
      }),
      actions(),
    );
    expect(labels(v.menu)).toEqual([
      'Open foreman',
      '---',
      'Pause queue',
      'llama3.2: 2 queued · 1 working',
      'gemma3:1b: 1 queued',
      '---',
      'Ollama: running (pid 4242)',
      'Start Ollama',
      'Copy OLLAMA_HOST=127.0.0.1:11435',
      'Ollama hosts…',
      '---',
      'Notify when jobs fail',
      'Launch at login',
      '---',
      'Quit foreman',
    ]);
    expect(item(v.menu, 'lane:llama3.2:latest').enabled).toBe(false);
    expect(item(v.menu, 'start-ollama').enabled).toBe(false);
  });

  it('calls the actions when items are clicked', () => {
    const a = actions();
    const v = trayView(input({ launchAtLogin: false, notifyOnFailure: true }), a);
    for (const id of ['open', 'pause', 'copy-host', 'hosts', 'quit']) item(v.menu, id).click!();
    item(v.menu, 'login').click!();
    item(v.menu, 'notify').click!();
    expect(a.open).toHaveBeenCalledOnce();
    expect(a.pause).toHaveBeenCalledOnce();
    expect(a.copyClientHost).toHaveBeenCalledOnce();
    expect(a.editHosts).toHaveBeenCalledOnce();
    expect(a.quit).toHaveBeenCalledOnce();
    expect(a.setLaunchAtLogin).toHaveBeenCalledWith(true);
    expect(a.setNotifyOnFailure).toHaveBeenCalledWith(false);
    expect(item(v.menu, 'login')).toMatchObject({ type: 'checkbox', checked: false });
    expect(item(v.menu, 'notify')).toMatchObject({ type: 'checkbox', checked: true });

    const paused = trayView(input({ paused: true }), a);
    item(paused.menu, 'resume').click!();
    expect(a.resume).toHaveBeenCalledOnce();
  });

  it('offers Start Ollama when a managed Ollama is missing, stopped or crashed, and not when unmanaged', () => {
    const a = actions();
    for (const status of ['not-found', 'stopped', 'crashed', 'restarting'] as const) {
      const v = trayView(input({ ollama: { status, managed: true } }), a);
      expect(item(v.menu, 'start-ollama').enabled, status).toBe(true);
    }
    const v = trayView(input({ ollama: { status: 'not-found', managed: true } }), a);
    item(v.menu, 'start-ollama').click!();
    expect(a.startOllama).toHaveBeenCalledOnce();
    expect(item(v.menu, 'ollama-status').label).toBe('Ollama: not found (install it or set --ollama-bin)');
    const unmanaged = trayView(input({ ollama: { status: 'external', managed: false }, upstreamUp: false }), a);
    expect(unmanaged.menu.some((m) => m.id === 'start-ollama')).toBe(false);
    expect(item(unmanaged.menu, 'ollama-status').label).toBe('Ollama: not answering');
  });

  it('says "Connecting…" before the first snapshot, "Nothing queued" when empty, and caps the model list', () => {
    expect(labels(trayView(input({ lanes: null }), actions()).menu)).toContain('Connecting…');
    expect(labels(trayView(input(), actions()).menu)).toContain('Nothing queued');
    const lanes = Array.from({ length: 11 }, (_, i) => ({ model: `m${i}:latest`, queued: 1, running: 0 }));
    const menu = trayView(input({ lanes }), actions()).menu;
    expect(menu.filter((m) => m.id?.startsWith('lane:')).length).toBe(8);
    expect(labels(menu)).toContain('…and 3 more models');
  });

  it('while quitting, offers only patience', () => {
    const v = trayView(input({ quitting: true, lanes: [{ model: 'llama3.2:latest', queued: 0, running: 1 }] }), actions());
    expect(item(v.menu, 'quit')).toMatchObject({ label: 'Quitting…', enabled: false });
    expect(item(v.menu, 'open').enabled).toBe(false);
    expect(item(v.menu, 'pause').enabled).toBe(false);
    expect(item(v.menu, 'hosts').enabled).toBe(false);
    expect(v.tooltip).toBe('quitting, finishing running jobs · llama3.2 working');
  });

  it('counts lanes from a queue snapshot', () => {
    const row = {} as never;
    expect(trayLanes({ lanes: [{ model: 'a:latest', queued: [row, row], running: [row] } as never] })).toEqual([
      { model: 'a:latest', queued: 2, running: 1 },
    ]);
  });
});
