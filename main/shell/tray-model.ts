/**
 * What the tray shows, as a pure function of foreman's state: the icon, the tooltip and the menu.
 * The menu is a plain template that Electron's `Menu.buildFromTemplate` accepts; nothing here
 * imports Electron, so the tests click the items directly.
 */
import type { OllamaStatus, QueueSnapshot } from '../../shared/api.js';

export type TrayIcon = 'idle' | 'working' | 'paused' | 'problem';

/** The part of Electron's `MenuItemConstructorOptions` the tray uses. */
export interface MenuItem {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'checkbox';
  enabled?: boolean;
  checked?: boolean;
  click?: () => void;
}

export interface TrayLane {
  model: string;
  queued: number;
  running: number;
}

export interface TrayInput {
  /** Null until the first snapshot arrives. */
  lanes: TrayLane[] | null;
  paused: boolean;
  upstreamUp: boolean;
  ollama: { status: OllamaStatus; managed: boolean; pid?: number; message?: string };
  /** Webhook deliveries retrying or recently given up. */
  failingDeliveries: number;
  /** What clients put in OLLAMA_HOST, e.g. `127.0.0.1:11435`. */
  clientHost: string;
  launchAtLogin: boolean;
  notifyOnFailure: boolean;
  quitting: boolean;
}

export interface TrayActions {
  open(): void;
  pause(): void;
  resume(): void;
  startOllama(): void;
  copyClientHost(): void;
  /** Opens the Ollama hosts form (the local Ollama first, then the ones the user added). */
  editHosts(): void;
  setLaunchAtLogin(on: boolean): void;
  setNotifyOnFailure(on: boolean): void;
  quit(): void;
}

export interface TrayView {
  icon: TrayIcon;
  tooltip: string;
  menu: MenuItem[];
}

const MAX_LANES_SHOWN = 8;
/** Windows truncates tray tooltips at 127 characters. */
const MAX_TOOLTIP = 127;

/** `llama3.2:latest` reads as `llama3.2`. */
export const displayModel = (model: string): string => model.replace(/:latest$/, '');

export function trayLanes(snapshot: Pick<QueueSnapshot, 'lanes'>): TrayLane[] {
  return snapshot.lanes.map((l) => ({ model: l.model, queued: l.queued.length, running: l.running.length }));
}

/** Why Ollama is a problem right now, or null. A supervised Ollama that is starting is not one yet. */
export function ollamaProblem(input: Pick<TrayInput, 'ollama' | 'upstreamUp'>): string | null {
  const { status, managed } = input.ollama;
  if (managed) {
    if (status === 'not-found') return 'Ollama is not installed';
    if (status === 'crashed' || status === 'restarting') return 'Ollama crashed, restarting';
    if (status === 'checking' || status === 'starting') return null;
  }
  return input.upstreamUp ? null : 'Ollama is not running';
}

function ollamaLabel(input: TrayInput): string {
  const { status, managed, pid } = input.ollama;
  if (!managed) return input.upstreamUp ? 'Ollama: running' : 'Ollama: not answering';
  switch (status) {
    case 'running':
      return pid === undefined ? 'Ollama: running' : `Ollama: running (pid ${pid})`;
    case 'external':
      return 'Ollama: running (started outside foreman)';
    case 'checking':
      return 'Ollama: checking…';
    case 'starting':
      return 'Ollama: starting…';
    case 'crashed':
    case 'restarting':
      return 'Ollama: crashed, restarting…';
    case 'not-found':
      return 'Ollama: not found (install it or set --ollama-bin)';
    case 'stopped':
      return 'Ollama: stopped';
  }
}

const canStartOllama = (s: OllamaStatus) => s === 'not-found' || s === 'stopped' || s === 'crashed' || s === 'restarting';

function laneItems(lanes: TrayLane[] | null): MenuItem[] {
  if (lanes === null) return [{ label: 'Connecting…', enabled: false }];
  const busy = lanes.filter((l) => l.queued > 0 || l.running > 0);
  if (busy.length === 0) return [{ label: 'Nothing queued', enabled: false }];
  const items: MenuItem[] = busy.slice(0, MAX_LANES_SHOWN).map((l) => ({
    id: `lane:${l.model}`,
    label: `${displayModel(l.model)}: ${l.queued} queued${l.running ? ` · ${l.running} working` : ''}`,
    enabled: false,
  }));
  if (busy.length > MAX_LANES_SHOWN) items.push({ label: `…and ${busy.length - MAX_LANES_SHOWN} more models`, enabled: false });
  return items;
}

export function trayView(input: TrayInput, actions: TrayActions): TrayView {
  const lanes = input.lanes ?? [];
  const queued = lanes.reduce((n, l) => n + l.queued, 0);
  const working = lanes.filter((l) => l.running > 0).map((l) => displayModel(l.model));
  const problem = ollamaProblem(input);
  const deliveries =
    input.failingDeliveries > 0 ? `${input.failingDeliveries} webhook deliver${input.failingDeliveries === 1 ? 'y' : 'ies'} failing` : null;

  let icon: TrayIcon = 'idle';
  if (problem || deliveries) icon = 'problem';
  else if (input.paused) icon = 'paused';
  else if (queued > 0 || working.length > 0) icon = 'working';

  const parts: string[] = [];
  if (input.quitting) parts.push('quitting, finishing running jobs');
  if (queued > 0) parts.push(`${queued} queued`);
  for (const m of working) parts.push(`${m} working`);
  if (input.paused) parts.push('paused');
  if (problem) parts.push(problem);
  if (deliveries) parts.push(deliveries);
  let tooltip = parts.length ? parts.join(' · ') : 'foreman: idle';
  if (tooltip.length > MAX_TOOLTIP) tooltip = `${tooltip.slice(0, MAX_TOOLTIP - 1)}…`;

  const ollama: MenuItem[] = [{ id: 'ollama-status', label: ollamaLabel(input), enabled: false }];
  if (input.ollama.managed) {
    ollama.push({
      id: 'start-ollama',
      label: 'Start Ollama',
      enabled: canStartOllama(input.ollama.status) && !input.quitting,
      click: actions.startOllama,
    });
  }
  const menu: MenuItem[] = [
    { id: 'open', label: 'Open foreman', click: actions.open, enabled: !input.quitting },
    { type: 'separator' },
    input.paused
      ? { id: 'resume', label: 'Resume queue', click: actions.resume, enabled: !input.quitting }
      : { id: 'pause', label: 'Pause queue', click: actions.pause, enabled: !input.quitting },
    ...laneItems(input.lanes),
    { type: 'separator' },
    ...ollama,
    { id: 'copy-host', label: `Copy OLLAMA_HOST=${input.clientHost}`, click: actions.copyClientHost },
    { id: 'hosts', label: 'Ollama hosts…', click: actions.editHosts, enabled: !input.quitting },
    { type: 'separator' },
    {
      id: 'notify',
      label: 'Notify when jobs fail',
      type: 'checkbox',
      checked: input.notifyOnFailure,
      click: () => actions.setNotifyOnFailure(!input.notifyOnFailure),
    },
    {
      id: 'login',
      label: 'Launch at login',
      type: 'checkbox',
      checked: input.launchAtLogin,
      click: () => actions.setLaunchAtLogin(!input.launchAtLogin),
    },
    { type: 'separator' },
    input.quitting ? { id: 'quit', label: 'Quitting…', enabled: false } : { id: 'quit', label: 'Quit foreman', click: actions.quit },
  ];
  return { icon, tooltip, menu };
}

/** File name of a tray icon; `@2x` files sit beside them and Electron picks them on HiDPI screens. */
export function iconFile(icon: TrayIcon, darkMenuBar: boolean): string {
  return `${icon}-${darkMenuBar ? 'dark' : 'light'}.png`;
}
