/**
 * The `ollama-sim` command line: one table of options, from which both the parser and `--help` are
 * made. A bad argument is a `UsageError` whose message is the one line the CLI prints.
 */
import { DEFAULT_MODELS, type SimModelSpec } from './sim-models.js';
import type { SimulatorOptions } from './simulator.js';

export class UsageError extends Error {}

interface OptionSpec {
  flag: string;
  /** What the value looks like, for the usage text. */
  value: string;
  default: string;
  help: string;
  apply(raw: string, out: CliRun): void;
}

export interface CliRun {
  kind: 'run';
  host: string;
  port: number;
  options: SimulatorOptions;
}

export type CliCommand = CliRun | { kind: 'help' };

const quote = (raw: string) => JSON.stringify(raw);

/** A number that passes `ok`, or a UsageError saying what the flag wants. */
function number(flag: string, raw: string, wants: string, ok: (n: number) => boolean): number {
  const n = /^(inf|infinity)$/i.test(raw.trim()) ? Infinity : raw.trim() === '' ? NaN : Number(raw);
  if (Number.isNaN(n) || !ok(n)) throw new UsageError(`${flag} wants ${wants}, got ${quote(raw)}`);
  return n;
}

const whole = (flag: string, raw: string, min: number) =>
  number(flag, raw, `a whole number ≥ ${min}`, (n) => Number.isInteger(n) && n >= min);

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `2GB`, `300MB`, `1.5GiB` or plain bytes. */
export function parseSize(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const scale = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  return m && scale !== undefined ? Math.round(Number(m[1]) * scale) : undefined;
}

/** `name` or `name=SIZE`, comma-separated. */
function parseModels(raw: string): (string | SimModelSpec)[] {
  const models = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [name = '', size, ...rest] = item.split('=').map((s) => s.trim());
      if (name === '' || rest.length > 0) throw new UsageError(`--models wants NAME or NAME=SIZE items, got ${quote(item)}`);
      if (size === undefined) return name;
      const sizeBytes = parseSize(size);
      if (sizeBytes === undefined) throw new UsageError(`--models wants a size like 2GB or 300MB for ${name}, got ${quote(size)}`);
      return { name, sizeBytes };
    });
  if (models.length === 0) throw new UsageError(`--models wants at least one model name, got ${quote(raw)}`);
  return models;
}

/** `HOST:PORT`, `[v6]:PORT`, `:PORT` (all interfaces) or a bare host (port 11434), like OLLAMA_HOST. */
export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(raw.trim());
  const port = m?.[3] === undefined ? 11434 : Number(m[3]);
  if (!m || port > 65535) throw new UsageError(`--listen wants HOST:PORT with a port from 0 to 65535, got ${quote(raw)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const CLI_OPTIONS: readonly OptionSpec[] = [
  {
    flag: '--listen',
    value: 'HOST:PORT',
    default: '127.0.0.1:11434',
    help: 'Address to serve on, read like OLLAMA_HOST (":PORT" is every interface, a bare host gets 11434); port 0 takes any free port.',
    apply(raw, out) {
      Object.assign(out, parseListen(raw));
    },
  },
  {
    flag: '--models',
    value: 'NAME[=SIZE],…',
    default: DEFAULT_MODELS.join(','),
    help: "Installed models. SIZE (2GB, 300MB, 1.5GiB, or bytes) is the model file size, the weights' part of its memory.",
    apply: (raw, out) => void (out.options.models = parseModels(raw)),
  },
  {
    flag: '--load-ms',
    value: 'N ≥ 0',
    default: '150',
    help: 'How long a model load takes, in milliseconds.',
    apply: (raw, out) => void (out.options.loadMs = number('--load-ms', raw, 'a number ≥ 0', (n) => n >= 0 && n < Infinity)),
  },
  {
    flag: '--tokens-per-sec',
    value: 'N ≥ 0 | inf',
    default: '50',
    help: 'Generation rate; 0 or inf answers as fast as possible.',
    apply: (raw, out) => void (out.options.tokensPerSecond = number('--tokens-per-sec', raw, 'a number ≥ 0 (or inf)', (n) => n >= 0)),
  },
  {
    flag: '--max-loaded',
    value: 'N ≥ 1',
    default: '1',
    help: 'Most runners resident at once, like OLLAMA_MAX_LOADED_MODELS.',
    apply: (raw, out) => void (out.options.maxLoaded = whole('--max-loaded', raw, 1)),
  },
  {
    flag: '--vram-mb',
    value: 'N > 0',
    default: 'unlimited',
    help: 'GPU memory in MiB. A runner takes its file size + num_ctx × parallel slots × KV bytes per token; one that does not fit evicts idle runners.',
    apply: (raw, out) => void (out.options.vramMb = number('--vram-mb', raw, 'a number of MiB > 0', (n) => n > 0)),
  },
  {
    flag: '--parallel',
    value: 'N ≥ 1',
    default: '1',
    help: 'Requests each loaded model serves at once, like OLLAMA_NUM_PARALLEL (embedding models: 1).',
    apply: (raw, out) => void (out.options.parallel = whole('--parallel', raw, 1)),
  },
  {
    flag: '--max-queue',
    value: 'N ≥ 0',
    default: '512',
    help: 'Requests that may wait for a load, like OLLAMA_MAX_QUEUE; beyond it 503.',
    apply: (raw, out) => void (out.options.maxQueue = whole('--max-queue', raw, 0)),
  },
  {
    flag: '--keep-alive-ms',
    value: 'N',
    default: '300000',
    help: 'Idle time before a runner unloads, like OLLAMA_KEEP_ALIVE; negative keeps it for good.',
    apply: (raw, out) =>
      void (out.options.keepAliveMs = number('--keep-alive-ms', raw, 'a number of milliseconds (negative = forever)', () => true)),
  },
  {
    flag: '--default-tokens',
    value: 'N ≥ 0',
    default: '12',
    help: 'Content tokens in an answer when neither num_predict nor a marker says.',
    apply: (raw, out) => void (out.options.defaultTokens = whole('--default-tokens', raw, 0)),
  },
  {
    flag: '--origins',
    value: 'ORIGIN,…',
    default: 'none',
    help: 'Extra allowed CORS origins, like OLLAMA_ORIGINS ("*" allows all).',
    apply: (raw, out) => void (out.options.origins = list(raw)),
  },
  {
    flag: '--version',
    value: 'X.Y.Z',
    default: '0.33.0',
    help: 'What /api/version answers.',
    apply: (raw, out) => void (out.options.version = raw),
  },
];

/** Words of `text` in lines of at most `width` characters, each led by `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim() !== '') {
      lines.push(line);
      line = indent;
    }
    line += line.trim() === '' ? word : ` ${word}`;
  }
  return [...lines, line];
}

export function usage(): string {
  const options = CLI_OPTIONS.flatMap((o) => [`  ${o.flag} ${o.value}`, ...wrap(`${o.help} Default: ${o.default}.`, '      ')]);
  return [
    'Usage: ollama-sim [options]   (npm run ollama-sim -- [options])',
    '',
    ...wrap(
      'A fake Ollama for tests and benchmarks. Prints "ollama-sim listening on http://HOST:PORT" when ready; SIGTERM or SIGINT stops it. A prompt can steer its answer with [[sim:tokens=N]], [[sim:error-after=N]], [[sim:fail-load]], [[sim:hang]], [[sim:hang-after=N]] and [[sim:die-after=N]].',
      '',
    ),
    '',
    'Options (--name VALUE or --name=VALUE):',
    ...options,
    '  -h, --help',
    '      Print this text and exit.',
    '',
  ].join('\n');
}

/** Parses argv (without node and the script); the last of a repeated option wins. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const out: CliRun = { kind: 'run', host: '127.0.0.1', port: 11434, options: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (!arg.startsWith('-')) throw new UsageError(`unexpected argument ${quote(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = CLI_OPTIONS.find((o) => o.flag === flag);
    if (!spec) throw new UsageError(`unknown option ${quote(flag)} (see --help)`);
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${flag} wants a value: ${spec.value}`);
    spec.apply(raw, out);
  }
  return out;
}
