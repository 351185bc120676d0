/** The app's config defaults, Ollama search path, tray settings file and Linux autostart entry. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../test-support/test-config.js';
import { desktopEntry, linuxAutostart, quoteExecArg } from './autostart.js';
import {
  clientHost,
  ollamaSearchPath,
  readShellSettings,
  runningForemanWindow,
  shellConfig,
  startErrorMessage,
  writeShellSettings,
} from './shell-config.js';
import { DataDirLockedError } from '../store/data-dir-lock.js';

describe('shellConfig', () => {
  it('keeps data in userData and supervises Ollama by default', () => {
    const c = shellConfig({}, '/home/u/.config/foreman');
    expect(c).toMatchObject({ dataDir: '/home/u/.config/foreman', manageOllama: true, ollamaBin: 'ollama', listenPort: 11435 });
  });

  it('lets FOREMAN_* variables override the app’s defaults, as for foreman serve', () => {
    const c = shellConfig({ FOREMAN_MANAGE_OLLAMA: '0', FOREMAN_DATA_DIR: '/data', FOREMAN_LISTEN: '127.0.0.1:0' }, '/ignored');
    expect(c).toMatchObject({ dataDir: '/data', manageOllama: false, listenPort: 0 });
  });
});

describe('ollamaSearchPath', () => {
  it('adds where Ollama’s installers put it, after the existing PATH, without duplicates', () => {
    expect(ollamaSearchPath({ PATH: '/usr/bin:/bin' }, 'darwin', '/Users/u').split(':')).toEqual([
      '/usr/bin',
      '/bin',
      '/usr/local/bin',
      '/opt/homebrew/bin',
      '/Applications/Ollama.app/Contents/Resources',
      '/Users/u/Applications/Ollama.app/Contents/Resources',
    ]);
    expect(ollamaSearchPath({ PATH: '/usr/local/bin:/usr/bin' }, 'linux', '/home/u')).toBe('/usr/local/bin:/usr/bin:/home/u/.local/bin');
    expect(ollamaSearchPath({ Path: 'C:\\Windows', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Windows;C:\\Users\\u\\AppData\\Local\\Programs\\Ollama',
    );
  });
});

describe('messages and settings', () => {
  it('gives the client host and a start failure in actionable words', () => {
    expect(clientHost('http://127.0.0.1:11435')).toBe('127.0.0.1:11435');
    const taken = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(startErrorMessage(taken, { listenHost: '127.0.0.1', listenPort: 11435, dataDir: '/d' })).toContain(
      '127.0.0.1:11435 is already in use',
    );
    expect(startErrorMessage(new Error('database is locked'), { listenHost: '127.0.0.1', listenPort: 11435, dataDir: '/d' })).toBe(
      'database is locked\n\nData folder: /d',
    );
  });

  it('offers the running foreman’s window only for a data folder lock with a loopback address', () => {
    const locked = (url: string | null) => new DataDirLockedError('/d', { pid: 42, url });
    expect(runningForemanWindow(locked('http://127.0.0.1:11435'))).toBe('http://127.0.0.1:11435/ui/');
    expect(runningForemanWindow(new Error('wrapped', { cause: locked('http://[::1]:9000') }))).toBe('http://[::1]:9000/ui/');
    expect(runningForemanWindow(locked('http://evil.example:11435'))).toBeNull();
    expect(runningForemanWindow(locked('file:///etc/passwd'))).toBeNull();
    expect(runningForemanWindow(locked(null))).toBeNull();
    expect(runningForemanWindow(new Error('database is locked'))).toBeNull();
    expect(startErrorMessage(locked(null), { listenHost: '127.0.0.1', listenPort: 11435, dataDir: '/d' })).toBe(
      'foreman is already running (pid 42) with the data folder /d. Use that one, or stop it and start the app again.',
    );
  });

  it('reads defaults from a missing or broken settings file and keeps what was written', () => {
    const file = path.join(tempDir(), 'sub', 'shell-settings.json');
    expect(readShellSettings(file)).toEqual({ notifyOnFailure: true, extraHosts: [] });
    writeShellSettings(file, { notifyOnFailure: false, extraHosts: ['gpu1:11434'] });
    expect(readShellSettings(file)).toEqual({ notifyOnFailure: false, extraHosts: ['gpu1:11434'] });
    fs.writeFileSync(file, '{not json');
    expect(readShellSettings(file)).toEqual({ notifyOnFailure: true, extraHosts: [] });
  });
});

describe('Linux autostart', () => {
  it('quotes Exec arguments as the Desktop Entry Specification asks', () => {
    expect(quoteExecArg('/opt/foreman/foreman')).toBe('/opt/foreman/foreman');
    expect(quoteExecArg('/home/u/Apps/foreman 0.1.AppImage')).toBe('"/home/u/Apps/foreman 0.1.AppImage"');
    expect(quoteExecArg('/a$b"c')).toBe('"/a\\\\$b\\\\"c"');
    expect(quoteExecArg('50%')).toBe('50%%');
  });

  it('writes and removes an entry that starts the app hidden', () => {
    const home = tempDir();
    const item = linuxAutostart(home, ['/home/u/foreman.AppImage']);
    expect(item.get()).toBe(false);
    item.set(true);
    expect(item.get()).toBe(true);
    const text = fs.readFileSync(path.join(home, 'autostart', 'foreman.desktop'), 'utf8');
    expect(text).toBe(desktopEntry(['/home/u/foreman.AppImage']));
    expect(text).toContain('Exec=/home/u/foreman.AppImage --hidden\n');
    item.set(false);
    expect(item.get()).toBe(false);
  });
});
