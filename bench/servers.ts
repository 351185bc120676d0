/**
 * The four kinds of server the benchmarks talk to, each started in its own process on loopback.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, freePort, removeTempDir, startServer, tempDir, tsx, type Server } from './processes.js';

export interface SimFlags {
  models: string[];
  loadMs: number;
  /** 0 = as fast as possible. */
  tokensPerSec: number;
  maxLoaded?: number;
  parallel?: number;
  /** GPU memory in MiB (Ollama's memory model); omitted = unlimited. */
  vramMb?: number;
}

/** A simulator in its own process; `port` 0 picks a free one (a restarted host passes its old port). */
export function startSim(flags: SimFlags, port = 0): Promise<Server> {
  const args = [
    '--listen',
    `127.0.0.1:${port}`,
    '--models',
    flags.models.join(','),
    '--load-ms',
    String(flags.loadMs),
    '--tokens-per-sec',
    String(flags.tokensPerSec),
    '--max-loaded',
    String(flags.maxLoaded ?? 1),
    '--parallel',
    String(flags.parallel ?? 1),
    ...(flags.vramMb === undefined ? [] : ['--vram-mb', String(flags.vramMb)]),
  ];
  const { command, args: argv } = tsx('main/sim/cli.ts', args);
  return startServer({ name: 'ollama-sim', command, args: argv, ready: /ollama-sim listening on (http:\/\/\S+)/ });
}

/**
 * `BENCH_CPU_PROF=DIR`: Node's `--cpu-prof` into DIR for foreman and the plain proxy, so both sides of
 * the overhead ratio can be profiled alike (`bench/profile-summary.ts` reads them). A request takes a
 * few hundred µs: `BENCH_CPU_PROF_INTERVAL` (µs, default Node's 1000) samples finer. `BENCH_MARKS=DIR`
 * times each request's critical path step by step instead (bench/critical-path.mjs).
 */
function cpuProfFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const interval = process.env.BENCH_CPU_PROF_INTERVAL;
  const prof = dir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(dir), ...(interval ? ['--cpu-prof-interval', interval] : [])] : [];
  // BENCH_MARKS=DIR: the critical path of each request, step by step (bench/critical-path.mjs).
  const marks = process.env.BENCH_MARKS ? ['--import', path.join(ROOT, 'bench/critical-path.mjs')] : [];
  return [...prof, ...marks];
}

/**
 * foreman's own CLI on a temp data dir, or on `options.dataDir` (which the caller then owns, so a
 * restart finds the same database). `BENCH_CPU_PROF=DIR` adds `--cpu-prof`, so a missed target can be
 * explained from where foreman spends its time.
 */
export async function startForeman(
  upstream: string,
  extra: string[] = [],
  options: { dataDir?: string; bin?: string } = {},
): Promise<Server> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? tempDir('data');
  const nodeFlags = cpuProfFlags();
  // The built CLI (the `foreman` bin), as users run it: no TypeScript loader on the request path.
  // BENCH_FOREMAN_BIN compares another build (an older commit's dist) in the same run conditions.
  const bin = options.bin ?? process.env.BENCH_FOREMAN_BIN ?? path.join(ROOT, 'dist/main/cli/foreman.js');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  const command = process.execPath;
  const args = [...nodeFlags, bin, 'serve', '--listen', '127.0.0.1:0', '--upstream', upstream, '--data-dir', dataDir, ...extra];
  const server = await startServer({ name: 'foreman', command, args, ready: /foreman listening on (http:\/\/\S+)/ });
  return {
    ...server,
    async stop() {
      await server.stop();
      if (ownDir) removeTempDir(dataDir);
    },
    async kill() {
      await server.kill();
      if (ownDir) removeTempDir(dataDir);
    },
  };
}

/**
 * The webhook receiver (bench/webhook-receiver.ts) in its own process, so recording deliveries costs
 * the load generator nothing. It answers 200 at once and checks signatures against `secret`.
 */
export function startReceiver(secret: string): Promise<Server> {
  const { command, args } = tsx('bench/webhook-receiver.ts', ['--listen', '127.0.0.1:0', '--secret', secret]);
  return startServer({ name: 'webhook-receiver', command, args, ready: /webhook-receiver listening on (http:\/\/\S+)/ });
}

export function startPlainProxy(upstream: string): Promise<Server> {
  const { command, args } = tsx('bench/plain-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', upstream], cpuProfFlags());
  return startServer({ name: 'plain-proxy', command, args, ready: /plain-proxy listening on (http:\/\/\S+)/ });
}

function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * nginx as a keep-alive reverse proxy, configured the way one would put it in front of Ollama.
 * Resolves to null (and the caller skips it) when nginx is not installed.
 */
export async function startNginx(upstream: string): Promise<Server | null> {
  const bin = nginxBinary();
  if (!bin) return null;
  const dir = tempDir('nginx');
  const port = await freePort();
  const up = new URL(upstream);
  const conf = `
daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream ollama {
    server ${up.hostname}:${up.port};
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://ollama;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const server = await startServer({
    name: 'nginx',
    command: bin,
    // -e: the error log before the config is read (the compiled-in one may not be writable).
    args: ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')],
    ready: { port },
  });
  return {
    ...server,
    async stop() {
      // nginx's fast shutdown is SIGTERM to the master, which also stops its worker.
      await server.stop();
      removeTempDir(dir);
    },
  };
}
