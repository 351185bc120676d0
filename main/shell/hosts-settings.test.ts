/**
 * The app's Ollama hosts: the local Ollama first, extra hosts checked with `--upstream`'s parser, kept in
 * the settings file, and used from the next start; the form's page and what its submission means.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../test-support/test-config.js';
import { hostsFormAnswer, hostsFormHtml, hostsFormUrl } from './hosts-form.js';
import {
  createHostsEditor,
  extraHostSpecs,
  splitHosts,
  withExtraHosts,
  type HostsEditorOptions,
  type HostsForm,
} from './hosts-settings.js';
import { readShellSettings, shellConfig, writeShellSettings } from './shell-config.js';

const app = (env: NodeJS.ProcessEnv = {}) => shellConfig(env, '/home/u/.config/foreman');

describe('extra Ollama hosts', () => {
  it('splits what the user typed into one item per host (lines, commas or spaces)', () => {
    expect(splitHosts('gpu1:11434\r\n  http://gpu2:11434#gpu-memory=24GB , gpu3\n\n')).toEqual([
      'gpu1:11434',
      'http://gpu2:11434#gpu-memory=24GB',
      'gpu3',
    ]);
    expect(splitHosts(' \n ')).toEqual([]);
  });

  it('are parsed as --upstream parses them, per-host settings included', () => {
    const specs = extraHostSpecs(['gpu1', 'https://gpu2.lan#gpu-memory=24GB&max-loaded=2'], app());
    expect(specs.map((s) => [s.id, s.address.origin, s.gpuMemory, s.maxLoaded])).toEqual([
      ['gpu1:11434', 'http://gpu1:11434', null, null],
      ['gpu2.lan:443', 'https://gpu2.lan:443', 24e9, 2],
    ]);
    expect(extraHostSpecs([], app())).toEqual([]);
  });

  it('are refused in one line naming the host: bad address or setting, twice, the local Ollama again, or foreman itself', () => {
    const error = (items: string[], env: NodeJS.ProcessEnv = {}) => {
      try {
        extraHostSpecs(items, app(env));
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(error(['gpu1:99999'])).toBe('Ollama hosts "gpu1:99999": the port "99999" is not a number from 1 to 65535');
    expect(error(['ftp://gpu1'])).toBe('Ollama hosts "ftp://gpu1": foreman reaches Ollama over http or https, not ftp');
    expect(error(['gpu1#gpu-memory=lots'])).toBe(
      'Ollama hosts: gpu-memory wants a size such as 24GB, got "lots" in "gpu1#gpu-memory=lots"',
    );
    expect(error(['gpu1#colour=red'])).toBe(
      'Ollama hosts: unknown host setting "colour" in "gpu1#colour=red" (use gpu-memory=SIZE or max-loaded=N)',
    );
    expect(error(['gpu1', 'http://gpu1:11434'])).toBe('Ollama hosts: gpu1:11434 is listed twice');
    expect(error(['127.0.0.1'])).toBe(
      "Ollama hosts: 127.0.0.1:11434 is already the first host (this computer's Ollama); list only the others",
    );
    expect(error(['localhost:11434'])).toBe(
      "Ollama hosts: localhost:11434 is already the first host (this computer's Ollama); list only the others",
    );
    expect(error(['localhost:11500'])).toBeNull();
    expect(error(['gpu1'], { FOREMAN_UPSTREAM: 'gpu0,gpu1' })).toBe(
      'Ollama hosts: gpu1:11434 is already a host (from FOREMAN_UPSTREAM); list each host once',
    );
    for (const own of ['127.0.0.1:11435', 'localhost:11435', '0.0.0.0:11435']) {
      expect(error([own]), own).toMatch(
        /is foreman's own address, so every request would come back to foreman; add the address of an Ollama, e.g. gpu1:11434$/,
      );
    }
    expect(error(['10.0.0.5:11435'])).toBeNull();
  });

  it('come after the local Ollama, which stays the first host and the one the supervisor runs', () => {
    const { config, used, problem } = withExtraHosts(app(), ['gpu1:11434', 'gpu2#max-loaded=1']);
    expect(problem).toBeNull();
    expect(used).toEqual(['gpu1:11434', 'gpu2#max-loaded=1']);
    expect(config.upstreams.map((u) => u.id)).toEqual(['127.0.0.1:11434', 'gpu1:11434', 'gpu2:11434']);
    expect(config.upstreams[2]!.maxLoaded).toBe(1);
    expect(config).toMatchObject({ manageOllama: true, upstream: { origin: 'http://127.0.0.1:11434' } });
    // FOREMAN_UPSTREAM still replaces the app's default host; the saved ones follow it.
    expect(withExtraHosts(app({ FOREMAN_UPSTREAM: 'http://box:11434' }), ['gpu1']).config.upstreams.map((u) => u.id)).toEqual([
      'box:11434',
      'gpu1:11434',
    ]);
    expect(withExtraHosts(app(), []).config).toEqual(app());
  });

  it('that do not check out at start are all left out, and the app starts with its local Ollama and says why', () => {
    const { config, used, problem } = withExtraHosts(app(), ['gpu1', 'gpu2:0']);
    expect(config.upstreams.map((u) => u.id)).toEqual(['127.0.0.1:11434']);
    expect(used).toEqual([]);
    expect(problem).toBe('Ollama hosts "gpu2:0": the port "0" is not a number from 1 to 65535');
  });
});

describe('the settings file', () => {
  it('keeps extraHosts beside the other settings, reads a hand-edited one leniently, and defaults to none', () => {
    const file = path.join(tempDir(), 'sub', 'shell-settings.json');
    expect(readShellSettings(file)).toEqual({ notifyOnFailure: true, extraHosts: [] });
    writeShellSettings(file, { notifyOnFailure: false, extraHosts: ['gpu1:11434', 'http://gpu2:11434#gpu-memory=24GB'] });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      notifyOnFailure: false,
      extraHosts: ['gpu1:11434', 'http://gpu2:11434#gpu-memory=24GB'],
    });
    expect(readShellSettings(file)).toEqual({ notifyOnFailure: false, extraHosts: ['gpu1:11434', 'http://gpu2:11434#gpu-memory=24GB'] });
    fs.writeFileSync(file, JSON.stringify({ extraHosts: ' gpu1 ' }));
    expect(readShellSettings(file).extraHosts).toEqual(['gpu1']);
    fs.writeFileSync(file, JSON.stringify({ extraHosts: ['gpu1', 7, null, '', 'gpu2'] }));
    expect(readShellSettings(file).extraHosts).toEqual(['gpu1', 'gpu2']);
    fs.writeFileSync(file, JSON.stringify({ extraHosts: { gpu1: true } }));
    expect(readShellSettings(file).extraHosts).toEqual([]);
  });
});

/** The editor with a scripted user: each form shown gets the next answer; confirms get `restartNow`. */
function editor(answers: (string | null)[], over: Partial<HostsEditorOptions> & { restartNow?: boolean; file?: string } = {}) {
  const file = over.file ?? path.join(tempDir(), 'shell-settings.json');
  const forms: HostsForm[] = [];
  const questions: string[] = [];
  let restarts = 0;
  let closed = 0;
  const e = createHostsEditor({
    port: {
      ask: async (form) => (forms.push(form), answers.shift() ?? null),
      close: () => void closed++,
      confirm: async (title, message, yes, no) => (questions.push(`${title} ${message} [${yes} / ${no}]`), over.restartNow ?? false),
    },
    base: app(),
    saved: () => readShellSettings(file).extraHosts,
    save: (extraHosts) => writeShellSettings(file, { ...readShellSettings(file), extraHosts }),
    running: [],
    restart: () => void restarts++,
    ...over,
  });
  return { e, file, forms, questions, restarts: () => restarts, closed: () => closed };
}

describe('the hosts editor', () => {
  it('shows the local Ollama and the saved hosts; cancelling saves nothing', async () => {
    const t = editor([null]);
    writeShellSettings(t.file, { notifyOnFailure: false, extraHosts: ['gpu1:11434', 'gpu2'] });
    expect(await t.e.edit()).toBe('cancelled');
    expect(t.forms).toEqual([{ fixed: ['127.0.0.1:11434'], text: 'gpu1:11434\ngpu2', error: null }]);
    expect(readShellSettings(t.file)).toEqual({ notifyOnFailure: false, extraHosts: ['gpu1:11434', 'gpu2'] });
    expect(t.questions).toEqual([]);
    expect(t.closed()).toBe(1);
  });

  it('shows the form again with the error and what was typed until the hosts check out, then saves them and restarts on Restart now', async () => {
    const t = editor(['gpu1\ngpu2:99999', 'gpu1\r\ngpu2:11434#gpu-memory=24GB'], { restartNow: true });
    writeShellSettings(t.file, { notifyOnFailure: false, extraHosts: [] });
    expect(await t.e.edit()).toBe('restarting');
    expect(t.forms.map((f) => [f.text, f.error])).toEqual([
      ['', null],
      ['gpu1\ngpu2:99999', 'Ollama hosts "gpu2:99999": the port "99999" is not a number from 1 to 65535'],
    ]);
    // Saved before the question, beside the other settings: a restart (or the next start) reads them.
    expect(readShellSettings(t.file)).toEqual({ notifyOnFailure: false, extraHosts: ['gpu1', 'gpu2:11434#gpu-memory=24GB'] });
    expect(t.questions).toEqual([
      'Restart foreman to use these hosts? foreman will send work to 127.0.0.1:11434, gpu1:11434, gpu2:11434. Restarting lets running requests finish (up to 10 s); ' +
        'queued /jobs are kept and carry on after it. Later: the hosts apply the next time foreman starts. [Restart now / Later]',
    ]);
    expect(t.restarts()).toBe(1);
    // One window: asked again in place, closed once the hosts check out.
    expect(t.closed()).toBe(1);
  });

  it('on Later keeps the hosts for the next start, which uses them after the local Ollama', async () => {
    const t = editor(['gpu1:11434'], { restartNow: false });
    expect(await t.e.edit()).toBe('next-start');
    expect(t.restarts()).toBe(0);
    // The next start, as main.ts does it.
    const next = withExtraHosts(app(), readShellSettings(t.file).extraHosts);
    expect(next.config.upstreams.map((u) => u.id)).toEqual(['127.0.0.1:11434', 'gpu1:11434']);
  });

  it('asks nothing when the hosts are the ones already running, and removing every extra host is a change', async () => {
    const same = editor(['gpu1'], { running: ['gpu1'] });
    expect(await same.e.edit()).toBe('unchanged');
    expect(same.questions).toEqual([]);
    expect(readShellSettings(same.file).extraHosts).toEqual(['gpu1']);

    const none = editor([''], { running: ['gpu1'], restartNow: true });
    writeShellSettings(none.file, { notifyOnFailure: true, extraHosts: ['gpu1'] });
    expect(await none.e.edit()).toBe('restarting');
    expect(readShellSettings(none.file).extraHosts).toEqual([]);
    expect(none.questions[0]).toContain('foreman will send work to 127.0.0.1:11434.');
  });

  it('opens one form at a time', async () => {
    let answer: (text: string | null) => void = () => {};
    let shown = 0;
    const e = createHostsEditor({
      port: { ask: () => (shown++, new Promise((r) => (answer = r))), close: () => {}, confirm: async () => false },
      base: app(),
      saved: () => [],
      save: () => {},
      running: [],
      restart: () => {},
    });
    const a = e.edit();
    const b = e.edit();
    expect(a).toBe(b);
    answer(null);
    expect(await a).toBe('cancelled');
    expect(shown).toBe(1);
    void e.edit();
    expect(shown).toBe(2);
  });

  it('at start, says which saved hosts were left out and offers to fix them in the form', async () => {
    const t = editor(['gpu2:11434'], { restartNow: true });
    writeShellSettings(t.file, { notifyOnFailure: true, extraHosts: ['gpu2:0'] });
    const { problem } = withExtraHosts(app(), readShellSettings(t.file).extraHosts);
    expect(await t.e.warn(problem!)).toBe('restarting');
    expect(t.questions[0]).toBe(
      'Some Ollama hosts were not used Ollama hosts "gpu2:0": the port "0" is not a number from 1 to 65535\n\nforeman started with 127.0.0.1:11434 only. [Fix them… / Later]',
    );
    expect(t.forms).toEqual([{ fixed: ['127.0.0.1:11434'], text: 'gpu2:0', error: problem }]);
    expect(readShellSettings(t.file).extraHosts).toEqual(['gpu2:11434']);
    expect(t.restarts()).toBe(1);

    const later = editor([], { restartNow: false });
    expect(await later.e.warn('x')).toBe('cancelled');
    expect(later.forms).toEqual([]);
  });
});

describe('the hosts form page', () => {
  const action = 'http://127.0.0.1:11435/foreman/app/hosts-form';
  const form: HostsForm = {
    fixed: ['127.0.0.1:11434'],
    text: 'gpu1\n</textarea><script>alert(1)</script>',
    error: 'Ollama hosts "<b>": bad',
  };

  it('has no script, allows only inline style and its own form action, and escapes what it shows', () => {
    const html = hostsFormHtml(form, action);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; form-action http://127.0.0.1:11435"`);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('gpu1\n&#60;/textarea&#62;&#60;script&#62;alert(1)&#60;/script&#62;</textarea>');
    expect(html).toContain('Ollama hosts &#34;&#60;b&#62;&#34;: bad');
    expect(html).toContain('<li><code>127.0.0.1:11434</code> (this computer)</li>');
    expect(html.indexOf('value="save"')).toBeLessThan(html.indexOf('value="cancel"'));
    expect(decodeURIComponent(hostsFormUrl(form, action).replace(/^data:text\/html;charset=utf-8,/, ''))).toBe(html);
  });

  it('reads a submission as the browser sends it: Save with the text (line ends as \\n), Cancel, or not ours', () => {
    const submit = (fields: Record<string, string>) => `${action}?${new URLSearchParams(fields).toString()}`;
    expect(hostsFormAnswer(submit({ hosts: 'gpu1\r\nhttp://gpu2:11434#gpu-memory=24GB', do: 'save' }), action)).toEqual({
      save: 'gpu1\nhttp://gpu2:11434#gpu-memory=24GB',
    });
    expect(hostsFormAnswer(submit({ hosts: 'gpu1', do: 'cancel' }), action)).toBe('cancel');
    expect(hostsFormAnswer(submit({ hosts: 'gpu1' }), action)).toBeNull();
    expect(hostsFormAnswer('http://127.0.0.1:11435/ui/?do=save', action)).toBeNull();
    expect(hostsFormAnswer('http://evil.example/foreman/app/hosts-form?do=save&hosts=x', action)).toBeNull();
    expect(hostsFormAnswer('not a url', action)).toBeNull();
  });
});
