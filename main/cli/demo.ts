/**
 * `npm run demo`: foreman in front of the Ollama simulator, for someone without Ollama to see it work.
 * Everything stays on loopback; the simulator's answers are canned words at a readable pace. Each port
 * gets its own data directory, so two demos side by side never share (or fight over) a database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSimulator, type Simulator } from '../sim/simulator.js';
import { ConfigError, parseConfig, type ForemanConfig } from '../core/config.js';
import { startForeman, type Foreman } from '../app/foreman.js';
import { DataDirLockedError } from '../store/data-dir-lock.js';
import { startTraffic, type Traffic } from './demo-traffic.js';

/** Answers long enough to watch them stream (4 s at the simulator's 25 tokens a second). */
const ANSWER_TOKENS = 100;
/** Webhook retries short enough to watch, unless the user chose their own. */
const DEMO_RETRIES = '2s,4s,8s,15s';
/** `--hosts`: simulated Ollama hosts, each its own simulator with room for one model. */
const MAX_HOSTS = 4;

export function demoUsage(): string {
  return `usage: npm run demo -- [--hosts N] [--traffic] [foreman serve options]

Runs foreman in front of the built-in Ollama simulator (five models, one resident at a time, 0.8 s
loads, ${ANSWER_TOKENS}-token answers at 25 tokens a second), on loopback. No Ollama needed.

  --hosts N         N simulated Ollama hosts (1 to ${MAX_HOSTS}, default 1), each a simulator with room for
                    one model, fronted by foreman as one Ollama: the window shows a row per host and
                    which host each request went to
  --traffic         keep mixed work flowing so the window has something to show: waves of streamed
                    and whole answers for several models, embeddings, and /jobs whose webhooks go to a
                    receiver that fails first attempts (retries show) and some every attempt; a burst
                    of 8 every 30 s, then one request every ~4 s, never with more than 12 waiting
  -h, --help        print this text

Every foreman serve option works too (npm run serve -- --help lists them), for example:
  --listen HOST:PORT   where foreman listens (default 127.0.0.1:11435); a second demo needs another
                       port: npm run demo -- --listen 127.0.0.1:11436
  --data-dir DIR       default: a folder per port, ${path.join(os.tmpdir(), 'foreman-demo-PORT')}
                       (a fresh temporary one for port 0, removed when the demo stops)
`;
}

/** `--hosts N` or `--hosts=N` taken out of `argv`: how many hosts, and the other arguments. */
export function takeHosts(argv: readonly string[]): { hosts: number; rest: string[] } {
  const rest: string[] = [];
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--hosts') raw = argv[++i] ?? '';
    else if (a.startsWith('--hosts=')) raw = a.slice('--hosts='.length);
    else rest.push(a);
  }
  if (raw === undefined) return { hosts: 1, rest };
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_HOSTS) {
    throw new ConfigError(`--hosts wants a whole number from 1 to ${MAX_HOSTS}, got "${raw}"`);
  }
  return { hosts: n, rest };
}

/**
 * The `--upstream` list for the simulators. With several hosts each is declared to hold one model
 * (as it does), so placement across hosts shows from the first request, unless `--max-loaded` was
 * given; one host is passed as it always was.
 */
export function demoUpstreams(urls: readonly string[], args: readonly string[], env: NodeJS.ProcessEnv): string {
  const ownMaxLoaded = args.some((a) => a === '--max-loaded' || a.startsWith('--max-loaded=')) || !!env.FOREMAN_MAX_LOADED;
  return urls.map((u) => (urls.length > 1 && !ownMaxLoaded ? `${u}#max-loaded=1` : u)).join(',');
}

/** Where a demo on `port` keeps its data unless told otherwise. */
export function demoDataDir(port: number): string {
  return port === 0 ? fs.mkdtempSync(path.join(os.tmpdir(), 'foreman-demo-')) : path.join(os.tmpdir(), `foreman-demo-${port}`);
}

function fail(message: string, code: number): number {
  process.stderr.write(`demo: ${message}\n`);
  return code;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(demoUsage());
    return 0;
  }
  const traffic = argv.includes('--traffic');
  let hostCount: number;
  let args: string[];
  try {
    ({ hosts: hostCount, rest: args } = takeHosts(argv.filter((a) => a !== '--traffic')));
  } catch (err) {
    return fail(`${(err as Error).message} (npm run demo -- --help lists the options)`, 2);
  }
  if (args.some((a) => a === '--upstream' || a.startsWith('--upstream='))) {
    return fail('the demo runs in front of its own simulator; for a real Ollama use npm run serve -- --upstream URL', 2);
  }
  // The simulator is the upstream: what the shell says about Ollama does not apply here.
  const { OLLAMA_HOST: _host, FOREMAN_UPSTREAM: _upstream, ...env } = process.env;
  if (traffic && !env.FOREMAN_WEBHOOK_RETRIES) args.unshift('--webhook-retries', DEMO_RETRIES);

  const sims: Simulator[] = [];
  const closeSims = () => Promise.all(sims.map((s) => s.close()));
  for (let i = 0; i < hostCount; i++)
    sims.push(createSimulator({ loadMs: 800, tokensPerSecond: 25, maxLoaded: 1, defaultTokens: ANSWER_TOKENS }));
  const simUrls = await Promise.all(sims.map((s) => s.listen(0, '127.0.0.1')));
  let config: ForemanConfig;
  try {
    config = parseConfig(['--upstream', demoUpstreams(simUrls, args, env), ...args], env);
  } catch (err) {
    await closeSims();
    if (err instanceof ConfigError) return fail(`${err.message} (npm run demo -- --help lists the options)`, 2);
    throw err;
  }
  const ownDir = !args.some((a) => a === '--data-dir' || a.startsWith('--data-dir=')) && !env.FOREMAN_DATA_DIR;
  if (ownDir) config.dataDir = demoDataDir(config.listenPort);
  const where = `${config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost}:${config.listenPort}`;
  const nextPort = `npm run demo -- --listen ${config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost}:${config.listenPort + 1}`;
  const cleanUp = async () => {
    await closeSims();
    if (ownDir && config.listenPort === 0) fs.rmSync(config.dataDir, { recursive: true, force: true });
  };

  let foreman: Foreman;
  try {
    foreman = await startForeman(config, { logger: { level: 'warn', stream: process.stderr } });
  } catch (err) {
    await cleanUp();
    if (err instanceof DataDirLockedError && ownDir) {
      const holder = err.holder.pid === null ? 'another demo' : `another demo (pid ${err.holder.pid})`;
      return fail(
        `${holder} is already running on ${where}${err.holder.url ? `, its window at ${err.holder.url}/ui/` : ''}; stop it, or start this one on another port: ${nextPort}`,
        1,
      );
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      return fail(`${where} is already in use (a foreman, or another demo?); start the demo on another port: ${nextPort}`, 1);
    }
    throw err;
  }

  let flow: Traffic | null = null;
  if (traffic) {
    // Work goes to foreman over loopback, whatever address it listens on.
    const wildcard = ['0.0.0.0', '::', ''].includes(config.listenHost);
    try {
      flow = await startTraffic({ url: wildcard ? `http://127.0.0.1:${new URL(foreman.url).port}` : foreman.url });
    } catch (err) {
      await foreman.close(0);
      await cleanUp();
      return fail((err as Error).message, 2);
    }
  }
  process.stdout.write(banner(foreman, simUrls, config, flow));

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stdout.write('demo: stopping\n');
      void (async () => {
        await flow?.stop();
        await foreman.close(2000);
        await cleanUp();
        resolve();
      })();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

function banner(foreman: Foreman, simUrls: readonly string[], config: ForemanConfig, flow: Traffic | null): string {
  const u = foreman.url;
  const several = simUrls.length > 1;
  const upstreams = several
    ? `${simUrls.length} Ollama simulators (demo hosts, each with room for one model, 0.8 s loads), fronted as one Ollama:
${simUrls
  .map(
    (s, i) => `  host ${i + 1}: ${s}
`,
  )
  .join('')}`
    : `Ollama simulator (demo upstream, one model resident, 0.8 s loads) on ${simUrls[0]}
`;
  const stats = simUrls
    .map(
      (s) => `  curl -s ${s}/__sim/stats | head -c 300; echo
`,
    )
    .join('');
  const watching = flow
    ? `Traffic: waves of mixed work for llama3.2, qwen3:0.6b, gemma3:1b, mistral and nomic-embed-text, and /jobs
whose webhooks go to ${flow.receiverUrl} (first attempts fail, so retries show). Watch the window.
`
    : `Something to watch: npm run demo -- --traffic
`;
  return `foreman listening on ${u}
${upstreams}data: ${config.dataDir}
webhook signing secret: ${foreman.webhookSecret}
The window: ${u}/ui/
${watching}
Try it from another terminal:
  curl ${u}/api/chat -d '{"model":"llama3.2","messages":[{"role":"user","content":"hello"}]}'
  curl ${u}/api/generate -d '{"model":"gemma3:1b","prompt":"hi","stream":false}'
  curl ${u}/foreman/queue
  curl ${u}/jobs -H 'content-type: application/json' -d '{"api":"generate","request":{"model":"mistral","prompt":"hi"}}'
Send mixed models at once; foreman groups them by model${several ? ' and places each model on a host' : ''} (${several ? 'each simulator counts its' : 'the simulator counts its'} loads):
  for m in llama3.2 gemma3:1b llama3.2 gemma3:1b llama3.2 gemma3:1b; do
    curl -s ${u}/api/generate -d "{\\"model\\":\\"$m\\",\\"prompt\\":\\"hi\\",\\"stream\\":false}" >/dev/null & done; wait
${stats}Any Ollama client works too: OLLAMA_HOST=${u}
Ctrl-C stops ${several ? 'them all' : 'both'}.
`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
