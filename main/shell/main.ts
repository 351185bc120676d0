/**
 * The Electron entry (`npm start`): adapts Electron's app, window, tray and session to the small
 * ports of lifecycle.ts, tray-controller.ts, hosts-settings.ts and hardening.ts, and starts the same
 * core as `foreman serve`, with its data in Electron's userData folder, the Ollama supervisor on, and
 * the local Ollama first among the hosts the user added in "Ollama hosts…".
 */
import { BrowserWindow, Menu, Notification, Tray, app, clipboard, dialog, nativeImage, nativeTheme, session, shell } from 'electron';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startForeman, type Foreman } from '../app/foreman.js';
import { linuxAutostart, type LoginItem } from './autostart.js';
import { WEB_PREFERENCES, hardenContents, hardenSession } from './hardening.js';
import { hostsFormAnswer, hostsFormUrl } from './hosts-form.js';
import { createHostsEditor, withExtraHosts, type HostsForm } from './hosts-settings.js';
import { createLifecycle, type ShellPort, type WindowPort } from './lifecycle.js';
import {
  clientHost,
  ollamaSearchPath,
  readShellSettings,
  runningForemanWindow,
  shellConfig,
  startErrorMessage,
  writeShellSettings,
} from './shell-config.js';
import { createTrayController, type TrayController } from './tray-controller.js';
import { createTrayFeed } from './tray-feed.js';
import { iconFile, type TrayActions, type TrayIcon } from './tray-model.js';

const APP_ID = 'dev.foreman.app';
const iconsDir = path.join(app.getAppPath(), 'main', 'shell', 'icons');
const settingsFile = path.join(app.getPath('userData'), 'shell-settings.json');
let settings = readShellSettings(settingsFile);
// A desktop launch has a bare PATH: let the supervisor find Ollama where its installers put it.
process.env.PATH = ollamaSearchPath(process.env, process.platform, os.homedir());
// The local Ollama first, then the hosts saved in the settings (left out, and said why, if they do not check out).
const baseConfig = shellConfig(process.env, app.getPath('userData'));
const { config, used: runningHosts, problem: hostsProblem } = withExtraHosts(baseConfig, settings.extraHosts);
const startHidden = process.argv.includes('--hidden') || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);

// Held at module level: a garbage-collected Tray vanishes from the menu bar.
const held: { tray?: Tray } = {};
let controller: TrayController | null = null;

function loginItem(): LoginItem {
  if (process.platform === 'linux') {
    const command = process.env.APPIMAGE
      ? [process.env.APPIMAGE]
      : app.isPackaged
        ? [process.execPath]
        : [process.execPath, app.getAppPath()];
    return linuxAutostart(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), command);
  }
  return {
    get: () => app.getLoginItemSettings().openAtLogin,
    set: (on) => app.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] }),
  };
}

function createWindow(url: string): WindowPort {
  const win = new BrowserWindow({
    width: 1180,
    height: 780,
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: 'foreman',
    autoHideMenuBar: true,
    webPreferences: { ...WEB_PREFERENCES },
  });
  // A failed load shows Chromium's error page; say why on stderr too.
  win.loadURL(url).catch((err: Error) => process.stderr.write(`foreman: cannot load ${url}: ${err.message}\n`));
  return {
    show: () => win.show(),
    focus: () => win.focus(),
    hide: () => win.hide(),
    isMinimized: () => win.isMinimized(),
    restore: () => win.restore(),
    onClose: (fn) => void win.on('close', fn),
    destroy: () => win.destroy(),
  };
}

const port: ShellPort = {
  requestSingleInstanceLock: () => app.requestSingleInstanceLock(),
  onSecondInstance: (fn) => void app.on('second-instance', fn),
  onActivate: (fn) => void app.on('activate', fn),
  onBeforeQuit: (fn) => void app.on('before-quit', fn),
  onWindowAllClosed: (fn) => void app.on('window-all-closed', fn),
  whenReady: () => app.whenReady(),
  createWindow,
  showError: (title, message) => dialog.showErrorBox(title, message),
  confirm: async (title, message, yes, no) =>
    (await dialog.showMessageBox({ type: 'info', title, message: title, detail: message, buttons: [yes, no], defaultId: 0, cancelId: 1 }))
      .response === 0,
  openExternal: (url) => void shell.openExternal(url),
  exit: (code) => app.exit(code),
  // The restarted app shows its window: the user just changed something they will want to see.
  relaunch: () => app.relaunch({ args: process.argv.slice(1).filter((a) => a !== '--hidden') }),
};

/**
 * The hosts form in a small window of its own (Electron has no text prompt). Its page has no script;
 * submitting navigates to `action`, which is stopped here and read, so nothing reaches the core. Asked
 * again (the hosts did not check out), the same window shows the form with the error.
 */
const hostsForm: { win: BrowserWindow | null; answer: ((text: string | null) => void) | null } = { win: null, answer: null };

function answerHosts(text: string | null): void {
  const answer = hostsForm.answer;
  hostsForm.answer = null;
  answer?.(text);
}

function askHosts(form: HostsForm, action: string): Promise<string | null> {
  return new Promise((resolve) => {
    answerHosts(null);
    hostsForm.answer = resolve;
    let win = hostsForm.win;
    if (!win || win.isDestroyed()) {
      const w =
        (win =
        hostsForm.win =
          new BrowserWindow({
            width: 560,
            height: 470,
            title: 'Ollama hosts',
            autoHideMenuBar: true,
            minimizable: false,
            maximizable: false,
            show: false,
            webPreferences: { ...WEB_PREFERENCES },
          }));
      w.webContents.on('will-navigate', (e) => {
        e.preventDefault();
        const answer = hostsFormAnswer(e.url, action);
        if (answer !== null) answerHosts(answer === 'cancel' ? null : answer.save);
      });
      w.on('closed', () => {
        if (hostsForm.win === w) hostsForm.win = null;
        answerHosts(null);
      });
      w.once('ready-to-show', () => {
        w.show();
        w.focus();
      });
    }
    win
      .loadURL(hostsFormUrl(form, action))
      .catch((err: Error) => process.stderr.write(`foreman: cannot show the hosts form: ${err.message}\n`));
  });
}

function closeHosts(): void {
  const win = hostsForm.win;
  hostsForm.win = null;
  if (win && !win.isDestroyed()) win.destroy();
}

async function startCore(): Promise<Foreman> {
  fs.mkdirSync(app.getPath('logs'), { recursive: true });
  const logger = { level: process.env.FOREMAN_LOG_LEVEL ?? 'warn', file: path.join(app.getPath('logs'), 'foreman.log') };
  try {
    return await startForeman(config, { logger, uiRoot: path.join(app.getAppPath(), 'dist', 'renderer') });
  } catch (err) {
    throw new Error(startErrorMessage(err, config), { cause: err });
  }
}

function onCoreStarted(core: Foreman): Promise<void> {
  const origin = new URL(core.url).origin;
  // Every web contents, present and future, gets the guards; the session refuses other origins.
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, origin, (url) => void shell.openExternal(url)));
  hardenSession(session.defaultSession, origin);
  if (process.platform !== 'darwin') Menu.setApplicationMenu(null);

  const image = (icon: TrayIcon) => nativeImage.createFromPath(path.join(iconsDir, iconFile(icon, nativeTheme.shouldUseDarkColors)));
  const feed = createTrayFeed(core);
  const login = loginItem();
  const host = clientHost(core.url);
  const hostsAction = `${origin}/foreman/app/hosts-form`;
  const hosts = createHostsEditor({
    port: { ask: (form) => askHosts(form, hostsAction), close: closeHosts, confirm: port.confirm },
    base: baseConfig,
    saved: () => settings.extraHosts,
    save(extraHosts) {
      settings = { ...settings, extraHosts };
      writeShellSettings(settingsFile, settings);
    },
    running: runningHosts,
    restart: () => void lifecycle.restart(),
  });
  const hostsFailed = (err: unknown) => port.showError('The Ollama hosts were not saved', (err as Error).message);
  if (hostsProblem) hosts.warn(hostsProblem).catch(hostsFailed);
  const actions: TrayActions = {
    open: () => lifecycle.openWindow(),
    pause: () => void feed.post('/foreman/pause'),
    resume: () => void feed.post('/foreman/resume'),
    startOllama: () => void feed.post('/foreman/ollama/start'),
    copyClientHost: () => clipboard.writeText(`OLLAMA_HOST=${host}`),
    editHosts: () => void hosts.edit().catch(hostsFailed),
    setLaunchAtLogin(on) {
      login.set(on);
      controller?.redraw();
    },
    setNotifyOnFailure(on) {
      settings = { ...settings, notifyOnFailure: on };
      writeShellSettings(settingsFile, settings);
      controller?.redraw();
    },
    quit: () => void lifecycle.quit(),
  };
  const t = (held.tray = new Tray(image('idle')));
  // Windows opens the window on a left click; macOS and Linux show the menu.
  if (process.platform === 'win32') t.on('click', actions.open);
  controller = createTrayController({
    port: {
      setImage: (icon) => t.setImage(image(icon)),
      setToolTip: (text) => t.setToolTip(text),
      setMenu: (menu) => t.setContextMenu(Menu.buildFromTemplate(menu)),
      notify(title, body) {
        if (Notification.isSupported()) new Notification({ title, body }).show();
      },
    },
    feed,
    actions,
    settings: () => ({ launchAtLogin: login.get(), notifyOnFailure: settings.notifyOnFailure }),
    clientHost: host,
    onError: (err) => core.app.log.warn({ err }, 'tray refresh failed'),
  });
  nativeTheme.on('updated', () => controller?.redraw());
  return controller.start();
}

if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
const lifecycle = createLifecycle({
  port,
  startCore,
  onCoreStarted,
  onQuitting: () => controller?.setQuitting(),
  runningWindow: runningForemanWindow,
  startHidden,
  log: (message) => process.stderr.write(`${message}\n`),
});
lifecycle.run().catch((err: unknown) => {
  dialog.showErrorBox('foreman failed', (err as Error).stack ?? String(err));
  app.exit(1);
});
