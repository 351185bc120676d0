/**
 * foreman's settings, from command-line options and `FOREMAN_*` environment variables (options win).
 * The table in the README is generated from the same list of names.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OllamaHostError, parseOllamaHost, type UpstreamAddress } from '../ollama/ollama-host.js';
import { parseBytes, parseUpstreams, type UpstreamSpec } from '../hosts/upstreams.js';

export interface ForemanConfig {
  listenHost: string;
  listenPort: number;
  /** The first Ollama host (the one `--manage-ollama` keeps alive). */
  upstream: UpstreamAddress;
  /** Every Ollama host, in the order given; one unless `--upstream` lists several. */
  upstreams: UpstreamSpec[];
  dataDir: string;
  concurrency: number;
  /** The GPU memory Ollama may fill, in bytes; null learns bounds from what Ollama holds. */
  gpuMemory: number | null;
  /** Runners resident at once (Ollama's `OLLAMA_MAX_LOADED_MODELS`). */
  maxLoaded: number;
  maxWaitMs: number;
  maxQueue: number;
  /** No byte from Ollama for this long ends an inference request (`--upstream-timeout`). */
  upstreamTimeoutMs: number;
  webhookSecret: string | null;
  webhookRetriesMs: number[];
  /** Allow webhook receivers on private LAN addresses (loopback is always allowed). */
  webhookAllowPrivate: boolean;
  /** Results larger than this travel in webhooks as a `result_url`. */
  webhookMaxResultBytes: number;
  manageOllama: boolean;
  ollamaBin: string;
  retentionDays: number;
  bodyLimit: number;
  /** Extra allowed browser origins (`OLLAMA_ORIGINS`, `FOREMAN_ORIGINS`), added to Ollama's defaults. */
  origins: string[];
}

export class ConfigError extends Error {}

export const OPTIONS = {
  listen: { type: 'string', env: 'FOREMAN_LISTEN', help: 'where foreman listens; port 0 picks a free one', default: '127.0.0.1:11435' },
  upstream: {
    type: 'string',
    multiple: true,
    env: 'FOREMAN_UPSTREAM',
    help: 'the Ollama server, read like OLLAMA_HOST (no scheme = http, no port = 11434); several hosts as a comma list or repeated, each URL[#gpu-memory=SIZE&max-loaded=N]',
    default: 'OLLAMA_HOST or http://127.0.0.1:11434',
  },
  'data-dir': {
    type: 'string',
    env: 'FOREMAN_DATA_DIR',
    help: 'SQLite database and secrets',
    default: "the OS's app-data folder for foreman",
  },
  concurrency: {
    type: 'string',
    env: 'FOREMAN_CONCURRENCY',
    help: "requests in flight per loaded model (match Ollama's OLLAMA_NUM_PARALLEL)",
    default: '1',
  },
  'gpu-memory': {
    type: 'string',
    env: 'FOREMAN_GPU_MEMORY',
    help: 'GPU memory Ollama may fill (24GB, 12GiB); models that fit together run side by side',
    default: 'learned from what Ollama holds',
  },
  'max-loaded': {
    type: 'string',
    env: 'FOREMAN_MAX_LOADED',
    help: "models resident at once (match Ollama's OLLAMA_MAX_LOADED_MODELS)",
    default: '3',
  },
  'max-wait-ms': {
    type: 'string',
    env: 'FOREMAN_MAX_WAIT_MS',
    help: 'starvation bound: a model not served for this long goes next',
    default: '30000',
  },
  'max-queue': {
    type: 'string',
    env: 'FOREMAN_MAX_QUEUE',
    help: "queued inference requests beyond this get Ollama's own 503",
    default: '512',
  },
  'upstream-timeout': {
    type: 'string',
    env: 'FOREMAN_UPSTREAM_TIMEOUT',
    help: 'no byte from Ollama for this long (DURATION: ms/s/m/h) ends an inference request with an Ollama-shaped error; a stream that keeps flowing is never cut',
    default: '5m',
  },
  'webhook-secret': {
    type: 'string',
    env: 'FOREMAN_WEBHOOK_SECRET',
    help: 'Standard Webhooks signing secret (whsec_…)',
    default: 'generated once, kept in the data dir',
  },
  'webhook-retries': {
    type: 'string',
    env: 'FOREMAN_WEBHOOK_RETRIES',
    help: 'delays between webhook attempts, one per retry',
    default: '5s,5m,30m,2h,5h,10h,10h',
  },
  'webhook-allow-private': {
    type: 'boolean',
    env: 'FOREMAN_WEBHOOK_ALLOW_PRIVATE',
    help: 'allow webhook receivers on private LAN addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)',
    default: 'off',
  },
  'webhook-max-result-kb': {
    type: 'string',
    env: 'FOREMAN_WEBHOOK_MAX_RESULT_KB',
    help: 'results larger than this are sent in webhooks as a result_url',
    default: '64',
  },
  'manage-ollama': {
    type: 'boolean',
    env: 'FOREMAN_MANAGE_OLLAMA',
    help: 'start and keep alive a local `ollama serve` when the upstream is down',
    default: 'off',
  },
  'ollama-bin': { type: 'string', env: 'FOREMAN_OLLAMA_BIN', help: 'the Ollama binary the supervisor starts', default: '`ollama` on PATH' },
  'retention-days': { type: 'string', env: 'FOREMAN_RETENTION_DAYS', help: 'finished jobs older than this are deleted', default: '30' },
  'body-limit-mb': { type: 'string', env: 'FOREMAN_BODY_LIMIT_MB', help: 'largest request body accepted (413 beyond)', default: '100' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** What each option's value is, for --help (a new option without one shows VALUE, and a test fails). */
export const VALUE_NAMES: Readonly<Record<string, string>> = {
  listen: 'HOST:PORT',
  upstream: 'URL',
  'data-dir': 'DIR',
  concurrency: 'N',
  'gpu-memory': 'SIZE',
  'max-loaded': 'N',
  'max-wait-ms': 'N',
  'max-queue': 'N',
  'upstream-timeout': 'DURATION',
  'webhook-secret': 'whsec_…',
  'webhook-retries': 'DURATION,…',
  'webhook-max-result-kb': 'N',
  'ollama-bin': 'PATH',
  'retention-days': 'N',
  'body-limit-mb': 'N',
};

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** Electron's `app.getPath('userData')` for an app named foreman, so the app and the CLI share data. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'foreman');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'foreman');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'foreman');
}

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new ConfigError(`"${text}" is not a duration (use ms, s, m or h, e.g. 5s)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** A size option (`24GB`, `12GiB`), or a one-line error naming it. */
export function parseSize(name: string, text: string): number {
  const bytes = parseBytes(text);
  if (bytes === null) throw new ConfigError(`--${name} wants a size such as 24GB or 12GiB, got "${text}"`);
  return bytes;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`--listen wants HOST:PORT, got "${text}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`--listen port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function positiveDuration(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new ConfigError(`--${name} wants a duration above 0, got "${text}"`);
  return ms;
}

function int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${name} wants a whole number ≥ ${min}, got "${text}"`);
  return n;
}

/** Where foreman would reach itself: the same port on a loopback or wildcard address. */
function isOwnAddress(upstream: UpstreamAddress, listen: { host: string; port: number }): boolean {
  const colon = upstream.host.lastIndexOf(':');
  const local = (h: string) => ['localhost', '::1', '0.0.0.0', '::', ''].includes(h) || /^127\./.test(h);
  const host = upstream.host.slice(0, colon).replace(/^\[|\]$/g, '');
  return Number(upstream.host.slice(colon + 1)) === listen.port && (host === listen.host || (local(host) && local(listen.host)));
}

/** The upstream; an error names the option or variable it came from. */
function parseUpstream(raw: string, source: string, listen: { host: string; port: number }): UpstreamAddress {
  // Clients are told to set OLLAMA_HOST to foreman, so say why foreman read it too.
  const why = source === 'OLLAMA_HOST' ? ' (foreman reads OLLAMA_HOST when --upstream is not given)' : '';
  let upstream: UpstreamAddress;
  try {
    upstream = parseOllamaHost(raw, source);
  } catch (err) {
    if (err instanceof OllamaHostError) throw new ConfigError(`${err.message}${why}`);
    throw err;
  }
  if (upstream.origin.startsWith('http:') && isOwnAddress(upstream, listen)) {
    throw new ConfigError(
      `${source} ${JSON.stringify(raw)} is foreman's own --listen address, so every request would come back to foreman${why}; ` +
        'point --upstream at Ollama, e.g. --upstream 127.0.0.1:11434',
    );
  }
  return upstream;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ForemanConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, { type: v.type, multiple: 'multiple' in v }]));
    values = parseArgs({ args: argv, options: options as never, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const get = (name: OptionName): string | undefined => {
    const v = values[name];
    if (v !== undefined) return String(v);
    const e = env[OPTIONS[name].env];
    return e === undefined || e === '' ? undefined : e;
  };
  // On the command line a flag is there or not; a variable says which, in one of the usual words.
  const flag = (name: OptionName): boolean => {
    if (values[name] !== undefined) return values[name] === true;
    const raw = env[OPTIONS[name].env];
    const word = raw?.trim().toLowerCase();
    if (word === undefined || word === '' || FALSE_WORDS.includes(word)) return false;
    if (TRUE_WORDS.includes(word)) return true;
    throw new ConfigError(`${OPTIONS[name].env} wants 1/0, true/false, yes/no or on/off, got "${raw}"`);
  };
  const listen = parseListen(get('listen') ?? '127.0.0.1:11435');
  const secret = get('webhook-secret') ?? null;
  if (secret !== null && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) {
    throw new ConfigError('--webhook-secret wants whsec_ followed by the base64 of 24 to 64 random bytes');
  }
  const upstreamSource =
    values.upstream !== undefined
      ? '--upstream'
      : get('upstream') !== undefined
        ? OPTIONS.upstream.env
        : env.OLLAMA_HOST !== undefined
          ? 'OLLAMA_HOST'
          : 'the default upstream';
  let upstreams: UpstreamSpec[];
  try {
    // Ollama reads an empty OLLAMA_HOST as its default address; so does foreman.
    upstreams = parseUpstreams([get('upstream') ?? (env.OLLAMA_HOST?.trim() || 'http://127.0.0.1:11434')], upstreamSource, (url) =>
      parseUpstream(url, upstreamSource, listen),
    );
  } catch (err) {
    throw err instanceof ConfigError ? err : new ConfigError((err as Error).message);
  }
  const origins = [env.OLLAMA_ORIGINS, env.FOREMAN_ORIGINS]
    .filter((v): v is string => !!v)
    .flatMap((v) => v.split(','))
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    listenHost: listen.host,
    listenPort: listen.port,
    upstream: upstreams[0]!.address,
    upstreams,
    dataDir: path.resolve(get('data-dir') ?? defaultDataDir(env)),
    concurrency: int('concurrency', get('concurrency') ?? '1', 1),
    gpuMemory: get('gpu-memory') === undefined ? null : parseSize('gpu-memory', get('gpu-memory') as string),
    maxLoaded: int('max-loaded', get('max-loaded') ?? '3', 1),
    maxWaitMs: int('max-wait-ms', get('max-wait-ms') ?? '30000', 0),
    maxQueue: int('max-queue', get('max-queue') ?? '512', 1),
    upstreamTimeoutMs: positiveDuration('upstream-timeout', get('upstream-timeout') ?? '5m'),
    webhookSecret: secret,
    webhookRetriesMs: (get('webhook-retries') ?? '5s,5m,30m,2h,5h,10h,10h').split(',').map(parseDuration),
    webhookAllowPrivate: flag('webhook-allow-private'),
    webhookMaxResultBytes: int('webhook-max-result-kb', get('webhook-max-result-kb') ?? '64', 1) * 1024,
    manageOllama: flag('manage-ollama'),
    ollamaBin: get('ollama-bin') ?? 'ollama',
    retentionDays: int('retention-days', get('retention-days') ?? '30', 1),
    bodyLimit: int('body-limit-mb', get('body-limit-mb') ?? '100', 1) * 1024 * 1024,
    origins,
  };
}

export function usage(): string {
  const rows = Object.entries(OPTIONS).map(([name, o]) => {
    const value = o.type === 'string' ? ` ${VALUE_NAMES[name] ?? 'VALUE'}` : '';
    const env = o.type === 'boolean' ? `${o.env}=1/0, true/false, yes/no, on/off` : o.env;
    return `  --${name}${value}\n      ${o.help} (default: ${o.default}; env ${env})`;
  });
  return [
    'usage: foreman serve [options]',
    '       foreman --version',
    '',
    'options (each also an environment variable; the command line wins):',
    ...rows,
    '  -h, --help',
    '      print this text',
    '  -v, --version',
    "      print foreman's version",
    '',
    'values:',
    '  N          a whole number',
    '  DURATION   a number with ms, s, m or h: 500ms, 5s, 5m, 2h (no unit = ms)',
    '  SIZE       bytes, or a number with KB, MB, GB, TB or KiB, MiB, GiB, TiB: 24GB, 12GiB',
    '  X,…        a list: values separated by commas, e.g. 5s,5m,30m',
    '  URL        an Ollama address as OLLAMA_HOST takes it: 127.0.0.1:11434, http://host:port/prefix, https://host',
    '',
  ].join('\n');
}
