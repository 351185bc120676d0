/**
 * Electron hardening as code (Electron's security checklist): every window gets these
 * webPreferences; every web contents refuses navigation away from the core, `window.open` and
 * `<webview>`; the session denies every permission and every request to another origin.
 * The ports mirror the Electron methods used, so main.ts passes the real objects straight in.
 */

/** The webPreferences of every window. Frozen: a window cannot loosen them by accident. */
export const WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
});

/** What must hold for any window's webPreferences; the test walks every window against it. */
export function webPreferencesProblems(prefs: Record<string, unknown> | undefined): string[] {
  if (!prefs) return ['no webPreferences (Electron defaults are not enough)'];
  const problems: string[] = [];
  for (const [key, want] of Object.entries(WEB_PREFERENCES)) {
    if (key === 'safeDialogs' || key === 'spellcheck') continue;
    if (prefs[key] !== want) problems.push(`${key} must be ${want}, is ${String(prefs[key])}`);
  }
  if (prefs.preload !== undefined) problems.push('no preload script: the window talks HTTP to the core');
  if (prefs.enableBlinkFeatures) problems.push('enableBlinkFeatures must not be set');
  return problems;
}

/** True only for http(s) URLs on the core's own origin (scheme, host and port all equal). */
export function isAllowedUrl(url: string, coreOrigin: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === new URL(coreOrigin).origin;
  } catch {
    return false;
  }
}

/** Hosts whose https pages links in the window may open in the user's browser. */
export const EXTERNAL_HOSTS: readonly string[] = ['ollama.com', 'github.com', 'www.standardwebhooks.com'];

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '' && EXTERNAL_HOSTS.includes(u.hostname);
  } catch {
    return false;
  }
}

interface NavigationEvent {
  preventDefault(): void;
  url: string;
}

/** The parts of Electron's WebContents the hardening touches. */
export interface ContentsPort {
  on(event: 'will-navigate', listener: (details: NavigationEvent) => void): unknown;
  on(event: 'will-redirect', listener: (details: NavigationEvent) => void): unknown;
  on(event: 'will-frame-navigate', listener: (details: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** The parts of Electron's Session the hardening touches. */
export interface SessionPort {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  webRequest: {
    onBeforeRequest(listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void): void;
  };
}

/**
 * Installs the navigation guards on one web contents (call it from `web-contents-created`, so no
 * contents escapes). Links to allowlisted https sites open in the user's browser instead.
 */
export function hardenContents(contents: ContentsPort, coreOrigin: string, openExternal?: (url: string) => void): void {
  const guard = (details: NavigationEvent) => {
    if (!isAllowedUrl(details.url, coreOrigin)) details.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-frame-navigate', guard);
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (openExternal && isAllowedExternal(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Denies every permission request and check, and every request that leaves the core's origin. */
export function hardenSession(session: SessionPort, coreOrigin: string): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    // devtools:, data: and blob: stay inside the browser; anything with a network origin must be the core.
    const local = u.startsWith('devtools:') || u.startsWith('data:') || u.startsWith('blob:') || u.startsWith('chrome-extension:');
    callback({ cancel: !local && !isAllowedUrl(u, coreOrigin) });
  });
}
