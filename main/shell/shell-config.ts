/**
 * The desktop app's settings: the core's config with the app's defaults (data in Electron's userData,
 * Ollama supervised), where to look for Ollama when launched from a desktop with a bare PATH, and the
 * few preferences kept in a JSON file (tray notifications, the Ollama hosts after the local one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, type ForemanConfig } from '../core/config.js';
import { DataDirLockedError } from '../store/data-dir-lock.js';

/** `FOREMAN_*` variables still win, as for `foreman serve`; the app only changes the defaults. */
export function shellConfig(env: NodeJS.ProcessEnv, userData: string): ForemanConfig {
  return parseConfig([], { FOREMAN_MANAGE_OLLAMA: '1', FOREMAN_DATA_DIR: userData, ...env });
}

/**
 * PATH plus the places Ollama's installers put the binary. Apps started from Finder or a desktop
 * launcher do not get the login shell's PATH, so `ollama` would otherwise be "not found" on macOS.
 */
export function ollamaSearchPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const extra =
    platform === 'darwin'
      ? [
          '/usr/local/bin',
          '/opt/homebrew/bin',
          '/Applications/Ollama.app/Contents/Resources',
          p.join(home, 'Applications/Ollama.app/Contents/Resources'),
        ]
      : platform === 'win32'
        ? [p.join(env.LOCALAPPDATA ?? p.join(home, 'AppData', 'Local'), 'Programs', 'Ollama')]
        : ['/usr/local/bin', '/usr/bin', p.join(home, '.local', 'bin')];
  const current = (env.PATH ?? env.Path ?? '').split(p.delimiter).filter(Boolean);
  return [...current, ...extra.filter((d) => !current.includes(d))].join(p.delimiter);
}

/** What clients put in OLLAMA_HOST: `127.0.0.1:11435` for `http://127.0.0.1:11435`. */
export function clientHost(url: string): string {
  return new URL(url).host;
}

/** A start failure in words a person can act on. */
export function startErrorMessage(err: unknown, config: Pick<ForemanConfig, 'listenHost' | 'listenPort' | 'dataDir'>): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    return `${config.listenHost}:${config.listenPort} is already in use. Is \`foreman serve\` (or another foreman) running? Stop it, or set FOREMAN_LISTEN to another address.`;
  }
  if (err instanceof DataDirLockedError) {
    return (
      `foreman is already running (pid ${err.holder.pid ?? 'unknown'}) with the data folder ${err.dir}${err.holder.url ? `, at ${err.holder.url}` : ''}. ` +
      'Use that one, or stop it and start the app again.'
    );
  }
  return `${e.message ?? String(err)}\n\nData folder: ${config.dataDir}`;
}

/**
 * The window of the foreman that already runs on this data folder, if that is why the core could not
 * start (the error or its cause). Only a loopback http(s) address is offered to the browser.
 */
export function runningForemanWindow(err: unknown): string | null {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (!(e instanceof DataDirLockedError)) continue;
    if (!e.holder.url) return null;
    try {
      const url = new URL('/ui/', e.holder.url);
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
      return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
    } catch {
      return null;
    }
  }
  return null;
}

export interface ShellSettings {
  notifyOnFailure: boolean;
  /**
   * Ollama hosts after the local one, as `--upstream` takes them (hosts-settings.ts checks them at
   * start). A single string is read as a list of one.
   */
  extraHosts: string[];
}

const DEFAULT_SETTINGS: ShellSettings = { notifyOnFailure: true, extraHosts: [] };

export function readShellSettings(file: string): ShellSettings {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { [K in keyof ShellSettings]?: unknown };
    const hosts = typeof raw.extraHosts === 'string' ? [raw.extraHosts] : Array.isArray(raw.extraHosts) ? raw.extraHosts : [];
    return {
      notifyOnFailure: typeof raw.notifyOnFailure === 'boolean' ? raw.notifyOnFailure : DEFAULT_SETTINGS.notifyOnFailure,
      extraHosts: hosts.filter((h): h is string => typeof h === 'string' && h.trim() !== '').map((h) => h.trim()),
    };
  } catch {
    return { ...DEFAULT_SETTINGS, extraHosts: [] };
  }
}

export function writeShellSettings(file: string, settings: ShellSettings): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
