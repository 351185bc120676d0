/**
 * The app's life, through a small port so it runs without Electron in tests: one instance (a second
 * launch shows the first one's window), the core started after `ready`, a window that hides instead
 * of closing, and a quit that stops taking work, lets running jobs finish within a grace period, then
 * closes the server and the database before the process exits. A restart (new Ollama hosts) is that
 * quit with a relaunch: the new process builds everything again from the saved settings.
 */

/** A preventable event (Electron's `Event` has this). */
export interface Preventable {
  preventDefault(): void;
}

export interface WindowPort {
  show(): void;
  focus(): void;
  hide(): void;
  isMinimized(): boolean;
  restore(): void;
  /** Registers the `close` listener; preventing it keeps the window (hidden). */
  onClose(fn: (e: Preventable) => void): void;
  destroy(): void;
}

export interface ShellPort {
  requestSingleInstanceLock(): boolean;
  onSecondInstance(fn: () => void): void;
  /** macOS: the dock icon was clicked. */
  onActivate(fn: () => void): void;
  onBeforeQuit(fn: (e: Preventable) => void): void;
  onWindowAllClosed(fn: () => void): void;
  whenReady(): Promise<void>;
  /** Creates a hardened window loading `url`, not shown yet. */
  createWindow(url: string): WindowPort;
  showError(title: string, message: string): void;
  /** Asks a question with two answers; resolves true for `yes`. */
  confirm(title: string, message: string, yes: string, no: string): Promise<boolean>;
  /** Opens a URL in the user's browser. */
  openExternal(url: string): void;
  /** Ends the process now (Electron's `app.exit`: no more `before-quit`). */
  exit(code: number): void;
  /** Starts the app again once this process exits (Electron's `app.relaunch`), with its window shown. */
  relaunch(): void;
}

export interface CoreHandle {
  url: string;
  close(graceMs: number): Promise<void>;
}

export interface LifecycleOptions<C extends CoreHandle> {
  port: ShellPort;
  startCore: () => Promise<C>;
  /** Builds the tray once the core runs. */
  onCoreStarted?: (core: C) => void | Promise<void>;
  /**
   * The window of a foreman that already runs on this data, if that is why the core could not start:
   * the app offers to open it instead.
   */
  runningWindow?: (err: unknown) => string | null;
  /** Quit began: the tray says so. */
  onQuitting?: () => void;
  /** Running jobs get this long to finish on quit. @default 10000 */
  graceMs?: number;
  /** Launched at login: stay in the tray until asked. @default false */
  startHidden?: boolean;
  log?: (message: string) => void;
}

export function createLifecycle<C extends CoreHandle>(options: LifecycleOptions<C>) {
  const { port } = options;
  const graceMs = options.graceMs ?? 10_000;
  let core: C | null = null;
  let win: WindowPort | null = null;
  let quitting: Promise<void> | null = null;

  function openWindow(): void {
    if (!core || quitting) return;
    if (!win) {
      const w = port.createWindow(`${core.url}/ui/`);
      w.onClose((e) => {
        // Closing the window keeps foreman in the tray; only Quit ends it.
        if (quitting) return;
        e.preventDefault();
        w.hide();
      });
      win = w;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  function quit(): Promise<void> {
    quitting ??= (async () => {
      options.onQuitting?.();
      win?.hide();
      try {
        await core?.close(graceMs);
      } catch (err) {
        options.log?.(`foreman: shutdown failed: ${(err as Error).message}`);
      }
      win?.destroy();
      win = null;
      port.exit(0);
    })();
    return quitting;
  }

  /** Quits as above, then starts again; nothing if a quit already began. */
  function restart(): Promise<void> {
    if (quitting) return quitting;
    port.relaunch();
    return quit();
  }

  return {
    /** Runs the app; false if another instance owns it or the core could not start. */
    async run(): Promise<boolean> {
      if (!port.requestSingleInstanceLock()) {
        port.exit(0);
        return false;
      }
      port.onSecondInstance(openWindow);
      port.onActivate(openWindow);
      // A tray app lives on with no window.
      port.onWindowAllClosed(() => {});
      port.onBeforeQuit((e) => {
        // Cmd+Q, log-out, the menu: all go through the graceful quit; it ends with exit().
        e.preventDefault();
        void quit();
      });
      await port.whenReady();
      try {
        core = await options.startCore();
      } catch (err) {
        const running = options.runningWindow?.(err) ?? null;
        if (running) {
          const open = await port.confirm('foreman is already running', (err as Error).message, 'Open it in the browser', 'Quit');
          if (open) port.openExternal(running);
          port.exit(open ? 0 : 1);
          return false;
        }
        port.showError('foreman could not start', (err as Error).message);
        port.exit(1);
        return false;
      }
      await options.onCoreStarted?.(core);
      if (!options.startHidden) openWindow();
      return true;
    },
    openWindow,
    quit,
    restart,
    get quitting(): boolean {
      return quitting !== null;
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
