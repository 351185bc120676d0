/** Electron hardening through fake web contents and session: preferences, navigation, popups, permissions. */
import { describe, expect, it } from 'vitest';
import {
  WEB_PREFERENCES,
  hardenContents,
  hardenSession,
  isAllowedExternal,
  isAllowedUrl,
  webPreferencesProblems,
  type ContentsPort,
  type SessionPort,
} from './hardening.js';

const CORE = 'http://127.0.0.1:11435';

function fakeContents() {
  const listeners = new Map<string, (e: { preventDefault(): void; url: string }) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
  const contents: ContentsPort = {
    on(event: string, listener: (e: never) => void) {
      listeners.set(event, listener as (e: { preventDefault(): void; url: string }) => void);
      return contents;
    },
    setWindowOpenHandler: (h) => void (openHandler = h),
  };
  /** Fires an event; true if the handler prevented it. */
  const fire = (event: string, url = '') => {
    let prevented = false;
    const fn = listeners.get(event);
    if (!fn) throw new Error(`no ${event} listener`);
    fn({ url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

function fakeSession() {
  let request: Parameters<SessionPort['setPermissionRequestHandler']>[0] | null = null;
  let check: Parameters<SessionPort['setPermissionCheckHandler']>[0] | null = null;
  let before: Parameters<SessionPort['webRequest']['onBeforeRequest']>[0] | null = null;
  const session: SessionPort = {
    setPermissionRequestHandler: (h) => void (request = h),
    setPermissionCheckHandler: (h) => void (check = h),
    webRequest: { onBeforeRequest: (l) => void (before = l) },
  };
  return {
    session,
    request: (permission: string) => {
      let granted: boolean | undefined;
      request!(null, permission, (g) => (granted = g));
      return granted;
    },
    check: (permission: string) => check!(null, permission),
    cancels: (url: string) => {
      let cancel: boolean | undefined;
      before!({ url }, (r) => (cancel = r.cancel));
      return cancel;
    },
  };
}

describe('window preferences', () => {
  it('are isolated, sandboxed, without Node, with web security and no extras', () => {
    expect(WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      experimentalFeatures: false,
    });
    expect(webPreferencesProblems({ ...WEB_PREFERENCES })).toEqual([]);
    expect(Object.isFrozen(WEB_PREFERENCES)).toBe(true);
  });

  it('reports every loosened setting, a preload, Blink features, or none at all', () => {
    expect(webPreferencesProblems({ ...WEB_PREFERENCES, sandbox: false, nodeIntegration: true })).toEqual([
      'sandbox must be true, is false',
      'nodeIntegration must be false, is true',
    ]);
    expect(webPreferencesProblems({ ...WEB_PREFERENCES, preload: '/x.cjs', enableBlinkFeatures: 'Foo' })).toHaveLength(2);
    expect(webPreferencesProblems({ contextIsolation: true })).not.toEqual([]);
    expect(webPreferencesProblems(undefined)).toHaveLength(1);
  });
});

describe('isAllowedUrl', () => {
  it('allows only http(s) on the core’s exact origin', () => {
    expect(isAllowedUrl(`${CORE}/ui/`, CORE)).toBe(true);
    expect(isAllowedUrl(`${CORE}/ui/#/jobs/j1?x=1`, CORE)).toBe(true);
    expect(isAllowedUrl('http://127.0.0.1:11434/ui/', CORE)).toBe(false);
    expect(isAllowedUrl('http://localhost:11435/ui/', CORE)).toBe(false);
    expect(isAllowedUrl('https://127.0.0.1:11435/ui/', CORE)).toBe(false);
    expect(isAllowedUrl('http://127.0.0.1:11435@evil.example/', CORE)).toBe(false);
    expect(isAllowedUrl('file:///etc/passwd', CORE)).toBe(false);
    expect(isAllowedUrl('javascript:alert(1)', CORE)).toBe(false);
    expect(isAllowedUrl('not a url', CORE)).toBe(false);
  });

  it('lets only allowlisted https pages open in the browser', () => {
    expect(isAllowedExternal('https://ollama.com/library')).toBe(true);
    expect(isAllowedExternal('http://ollama.com/')).toBe(false);
    expect(isAllowedExternal('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedExternal('https://evil.example/')).toBe(false);
    expect(isAllowedExternal('file:///bin/sh')).toBe(false);
  });
});

describe('hardenContents', () => {
  it('blocks navigation and redirects away from the core, in every frame', () => {
    const f = fakeContents();
    hardenContents(f.contents, CORE);
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(f.fire(event, 'https://evil.example/'), event).toBe(true);
      expect(f.fire(event, `${CORE}/ui/`), event).toBe(false);
    }
    expect(f.fire('will-attach-webview')).toBe(true);
  });

  it('denies every window.open, handing allowlisted https links to the browser', () => {
    const f = fakeContents();
    const opened: string[] = [];
    hardenContents(f.contents, CORE, (url) => opened.push(url));
    expect(f.open('https://ollama.com/library/llama3.2')).toEqual({ action: 'deny' });
    expect(f.open(`${CORE}/ui/`)).toEqual({ action: 'deny' });
    expect(f.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://ollama.com/library/llama3.2']);
  });
});

describe('hardenSession', () => {
  it('denies every permission and cancels requests to any other origin', () => {
    const f = fakeSession();
    hardenSession(f.session, CORE);
    for (const p of ['notifications', 'media', 'geolocation', 'clipboard-read', 'openExternal', 'unknown']) {
      expect(f.request(p), p).toBe(false);
      expect(f.check(p), p).toBe(false);
    }
    expect(f.cancels(`${CORE}/foreman/events`)).toBe(false);
    expect(f.cancels('https://cdn.example/x.js')).toBe(true);
    expect(f.cancels('http://127.0.0.1:11434/api/tags')).toBe(true);
    expect(f.cancels('devtools://devtools/bundled/inspector.html')).toBe(false);
  });
});
