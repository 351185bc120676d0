/**
 * The desktop app's Ollama hosts: its local Ollama (the one the supervisor keeps alive) always first,
 * then the hosts the user added with "Ollama hosts…" in the tray, kept as `extraHosts` in the settings
 * file and read at start. Every line goes through the parser `--upstream` uses, so the app and
 * `foreman serve` accept the same addresses (`gpu1:11434`, `http://gpu2:11434#gpu-memory=24GB`).
 * Hosts apply when the core starts: saving new ones offers to restart the app.
 */
import type { ForemanConfig } from '../core/config.js';
import { parseUpstreams, type UpstreamSpec } from '../hosts/upstreams.js';
import { isLoopbackAddress } from '../ollama/ollama-host.js';

/** What the hosts are called in error messages. */
export const HOSTS_SOURCE = 'Ollama hosts';

/** An extra host the app cannot use; the message names it and says why. */
export class HostsSettingError extends Error {}

/** The part of the config the extra hosts are checked against. */
export type HostsBase = Pick<ForemanConfig, 'upstreams' | 'listenHost' | 'listenPort'>;

/** The items of what the user typed: one host per line; commas and spaces separate them too. */
export function splitHosts(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

const isLocal = (host: string) => isLoopbackAddress(host) || ['0.0.0.0', '::', ''].includes(host);

/** `host:port` with every loopback or wildcard name as 127.0.0.1: `localhost:11434` is `127.0.0.1:11434`. */
function sameMachineId(id: string): string {
  const colon = id.lastIndexOf(':');
  const host = id.slice(0, colon).replace(/^\[|\]$/g, '');
  return `${isLocal(host) ? '127.0.0.1' : host}:${id.slice(colon + 1)}`;
}

/** `host:port` is foreman's own listening address. */
function isForemanItself(id: string, listen: { host: string; port: number }): boolean {
  const colon = id.lastIndexOf(':');
  const host = id.slice(0, colon).replace(/^\[|\]$/g, '');
  return Number(id.slice(colon + 1)) === listen.port && (host === listen.host || (isLocal(host) && isLocal(listen.host)));
}

/**
 * Checks the extra hosts against the ones the app already has (the local Ollama, or what
 * `FOREMAN_UPSTREAM` names) and returns them parsed. Throws HostsSettingError with one line that
 * names the host: a bad address or setting, a host listed twice, or foreman's own address.
 */
export function extraHostSpecs(items: readonly string[], base: HostsBase): UpstreamSpec[] {
  if (items.length === 0) return [];
  let specs: UpstreamSpec[];
  try {
    specs = parseUpstreams(items, HOSTS_SOURCE);
  } catch (err) {
    throw new HostsSettingError((err as Error).message);
  }
  for (const spec of specs) {
    const known = base.upstreams.findIndex((u) => sameMachineId(u.id) === sameMachineId(spec.id));
    if (known === 0)
      throw new HostsSettingError(`${HOSTS_SOURCE}: ${spec.id} is already the first host (this computer's Ollama); list only the others`);
    if (known > 0)
      throw new HostsSettingError(`${HOSTS_SOURCE}: ${spec.id} is already a host (from FOREMAN_UPSTREAM); list each host once`);
    if (isForemanItself(spec.id, { host: base.listenHost, port: base.listenPort })) {
      throw new HostsSettingError(
        `${HOSTS_SOURCE}: ${spec.id} is foreman's own address, so every request would come back to foreman; add the address of an Ollama, e.g. gpu1:11434`,
      );
    }
  }
  return specs;
}

/**
 * The config the app starts with: `base` (the app's defaults and `FOREMAN_*` variables) with the extra
 * hosts after its own. Extra hosts that do not check out are all left out, and `problem` says why, so
 * a hand-edited settings file never keeps the app from starting with its local Ollama.
 */
export function withExtraHosts(
  base: ForemanConfig,
  extraHosts: readonly string[],
): { config: ForemanConfig; used: string[]; problem: string | null } {
  try {
    const specs = extraHostSpecs(extraHosts, base);
    return { config: specs.length ? { ...base, upstreams: [...base.upstreams, ...specs] } : base, used: [...extraHosts], problem: null };
  } catch (err) {
    if (err instanceof HostsSettingError) return { config: base, used: [], problem: err.message };
    throw err;
  }
}

/** What the hosts form shows. */
export interface HostsForm {
  /** The hosts the app always has, first (`host:port`): the local Ollama, or what FOREMAN_UPSTREAM names. */
  fixed: string[];
  /** The extra hosts, one per line, as last saved or typed. */
  text: string;
  /** Why the last try was refused, or null. */
  error: string | null;
}

/** How the editor talks to the user; main.ts shows a small window and Electron's message box. */
export interface HostsEditorPort {
  /**
   * Shows the form (in the window already open, when asked again with an error); resolves with the
   * text the user saved, or null when cancelled or closed.
   */
  ask(form: HostsForm): Promise<string | null>;
  /** The form is no longer needed: close its window. */
  close(): void;
  /** Asks a question with two answers; resolves true for `yes`. */
  confirm(title: string, message: string, yes: string, no: string): Promise<boolean>;
}

export interface HostsEditorOptions {
  port: HostsEditorPort;
  base: HostsBase;
  /** The extra hosts in the settings file now. */
  saved: () => readonly string[];
  /** Writes the extra hosts to the settings file (the other settings stay). */
  save: (extraHosts: string[]) => void;
  /** The extra hosts the running core uses. */
  running: readonly string[];
  /** Restarts the app, so its core starts with the saved hosts. */
  restart: () => void;
  /** Running requests get this long to finish on a restart. @default 10000 */
  graceMs?: number;
}

/** How an edit ended: nothing saved, saved and already running, restarting now, or saved for the next start. */
export type HostsEditOutcome = 'cancelled' | 'unchanged' | 'restarting' | 'next-start';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function createHostsEditor(options: HostsEditorOptions) {
  const { port, base } = options;
  const fixed = base.upstreams.map((u) => u.id);
  let open: Promise<HostsEditOutcome> | null = null;

  async function run(error: string | null): Promise<HostsEditOutcome> {
    let text = options.saved().join('\n');
    for (;;) {
      const answer = await port.ask({ fixed, text, error });
      if (answer === null) {
        port.close();
        return 'cancelled';
      }
      text = answer;
      const items = splitHosts(answer);
      try {
        extraHostSpecs(items, base);
      } catch (err) {
        if (!(err instanceof HostsSettingError)) throw err;
        error = err.message;
        continue;
      }
      port.close();
      if (!sameList(items, options.saved())) options.save(items);
      if (sameList(items, options.running)) return 'unchanged';
      const hosts = [...fixed, ...items.map((i) => parseUpstreams([i], HOSTS_SOURCE)[0]!.id)];
      const restart = await port.confirm(
        'Restart foreman to use these hosts?',
        `foreman will send work to ${hosts.join(', ')}. Restarting lets running requests finish (up to ${Math.round((options.graceMs ?? 10_000) / 1000)} s); ` +
          'queued /jobs are kept and carry on after it. Later: the hosts apply the next time foreman starts.',
        'Restart now',
        'Later',
      );
      if (!restart) return 'next-start';
      options.restart();
      return 'restarting';
    }
  }

  /** One form at a time: a second click while it is open waits for the same one. */
  function edit(error: string | null = null): Promise<HostsEditOutcome> {
    open ??= run(error).finally(() => (open = null));
    return open;
  }

  return {
    edit: () => edit(),
    /** At start, the saved hosts did not check out: say why and offer to fix them. */
    async warn(problem: string): Promise<HostsEditOutcome> {
      const fix = await port.confirm(
        'Some Ollama hosts were not used',
        `${problem}\n\nforeman started with ${fixed.join(', ')} only.`,
        'Fix them…',
        'Later',
      );
      return fix ? edit(problem) : 'cancelled';
    },
  };
}

export type HostsEditor = ReturnType<typeof createHostsEditor>;
