/**
 * `npm run ollama-sim -- --listen 127.0.0.1:11434 --models a,b --load-ms 150 --tokens-per-sec 50
 * --max-loaded 1 --parallel 1 --max-queue 512`. Prints `ollama-sim listening on http://HOST:PORT`
 * once ready (scripts wait for that line); SIGTERM/SIGINT close it.
 */
import { parseArgs } from 'node:util';
import { createSimulator, type SimulatorOptions } from './simulator.js';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:11434' },
    models: { type: 'string' },
    'load-ms': { type: 'string' },
    'tokens-per-sec': { type: 'string' },
    'max-loaded': { type: 'string' },
    parallel: { type: 'string' },
    'max-queue': { type: 'string' },
    'keep-alive-ms': { type: 'string' },
    'default-tokens': { type: 'string' },
    origins: { type: 'string' },
    version: { type: 'string' },
  },
  strict: true,
});

function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = raw === 'Infinity' || raw === 'inf' ? Infinity : Number(raw);
  if (Number.isNaN(n)) throw new Error(`--${flag} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** `HOST:PORT`, `[v6]:PORT`, `:PORT` (all interfaces) or a bare host (port 11434), like OLLAMA_HOST. */
function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(listen.trim());
  if (!m) throw new Error(`--listen: cannot parse ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: m[3] === undefined ? 11434 : Number(m[3]) };
}

const list = (raw: string | undefined) => raw?.split(',').map((s) => s.trim()).filter(Boolean);
const options: SimulatorOptions = {};
const set = <K extends keyof SimulatorOptions>(k: K, v: SimulatorOptions[K] | undefined) => {
  if (v !== undefined) options[k] = v;
};
set('models', list(values.models));
set('loadMs', num('load-ms', values['load-ms']));
set('tokensPerSecond', num('tokens-per-sec', values['tokens-per-sec']));
set('maxLoaded', num('max-loaded', values['max-loaded']));
set('parallel', num('parallel', values.parallel));
set('maxQueue', num('max-queue', values['max-queue']));
set('keepAliveMs', num('keep-alive-ms', values['keep-alive-ms']));
set('defaultTokens', num('default-tokens', values['default-tokens']));
set('origins', list(values.origins));
set('version', values.version);

const { host, port } = parseListen(values.listen);
const sim = createSimulator(options);
const url = await sim.listen(port, host);
console.log(`ollama-sim listening on ${url}`);

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void sim.close().then(() => process.exit(0));
  });
}
