/**
 * The "Ollama hosts…" form as a self-contained page for a small window: no script, no preload, nothing
 * loaded (its CSP allows only inline style and the one form action). Submitting it is a GET navigation
 * to `action`, which main.ts stops in `will-navigate` and reads with hostsFormAnswer(); nothing ever
 * reaches the core. Electron offers no native text prompt; this is the smallest hardened one.
 */
import type { HostsForm } from './hosts-settings.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function hostsFormHtml(form: HostsForm, action: string): string {
  const origin = new URL(action).origin;
  const fixed = form.fixed.map((h, i) => `<li><code>${escapeHtml(h)}</code>${i === 0 ? ' (this computer)' : ''}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action ${origin}">
<title>Ollama hosts</title>
<style>
:root { color-scheme: light dark; font: 14px system-ui, sans-serif; }
body { margin: 16px 20px; }
h1 { font-size: 16px; margin: 0 0 8px; }
p, ul { margin: 6px 0; }
textarea { box-sizing: border-box; width: 100%; font: 13px ui-monospace, monospace; margin-top: 4px; }
.error { color: #c62828; min-height: 1.2em; }
.note { opacity: .75; font-size: 12px; }
.buttons { display: flex; flex-direction: row-reverse; gap: 8px; margin-top: 10px; }
</style></head>
<body><form method="get" action="${escapeHtml(action)}">
<h1>Ollama hosts</h1>
<p>foreman fronts these Ollama servers as one. First, always:</p>
<ul>${fixed}</ul>
<label for="hosts">More hosts, one per line, as <code>--upstream</code> takes them (<code>gpu1:11434</code>, <code>http://gpu2:11434#gpu-memory=24GB</code>):</label>
<textarea id="hosts" name="hosts" rows="6" spellcheck="false" autofocus>${escapeHtml(form.text)}</textarea>
<p class="error" role="alert">${escapeHtml(form.error ?? '')}</p>
<p class="note">New hosts apply when foreman restarts; saving offers to restart now.</p>
<div class="buttons"><button type="submit" name="do" value="save">Save</button><button type="submit" name="do" value="cancel">Cancel</button></div>
</form></body></html>
`;
}

/** The page as a URL for `loadURL`. */
export function hostsFormUrl(form: HostsForm, action: string): string {
  return `data:text/html;charset=utf-8,${encodeURIComponent(hostsFormHtml(form, action))}`;
}

/**
 * What a navigation of the form's window means: the text saved, a cancel, or null for any other
 * navigation (which main.ts stops as well).
 */
export function hostsFormAnswer(url: string, action: string): { save: string } | 'cancel' | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const want = new URL(action);
  if (u.origin !== want.origin || u.pathname !== want.pathname) return null;
  const what = u.searchParams.get('do');
  if (what === 'cancel') return 'cancel';
  return what === 'save' ? { save: (u.searchParams.get('hosts') ?? '').replace(/\r\n?/g, '\n') } : null;
}
