/**
 * Where foreman's CPU time goes per request, from the `.cpuprofile` files `--cpu-prof` writes
 * (`BENCH_CPU_PROF=DIR npx tsx bench/overhead.ts`). Only the steady part of the profile counts: from
 * the first to the last sample inside a request handler, so start-up and shutdown stay out.
 *
 * Every sample is charged to a component: the innermost frame that belongs to foreman or to a package
 * decides (Node's own http, net and stream code below it is charged to whoever called it); a stack of
 * Node internals only is charged by its own file (the HTTP parser, timers, microtasks). Time inside a
 * socket write syscall is its own component, whoever wrote: every proxy pays it.
 *
 * `npx tsx bench/profile-summary.ts FILE_OR_DIR… [--requests N] [--top 25]`
 *   --requests  requests foreman served inside the window (default: the profile's own count of
 *               passthrough handler entries, which is exact for a sampling interval far below a request)
 *   --callers   a function name (`writev`): its time split by the stacks that lead to it
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Components in the order a request meets them; the first rule that matches a frame wins. */
const COMPONENTS: [name: string, test: (url: string, fn: string) => boolean][] = [
  ['safety hook', (u) => u.includes('/server/safety.')],
  ['passthrough handler', (u) => u.includes('/server/passthrough.')],
  ['body parsing (go-json)', (u) => u.includes('/ollama/go-json.')],
  ['job id', (u) => u.includes('/core/ids.')],
  ['runner key, keep-alive', (u) => /\/scheduler\/(runner-key|keep-alive-hold)\./.test(u) || u.includes('/ollama/model-name.')],
  ['store write-behind', (u) => u.includes('/store/') || u.includes('/better-sqlite3/')],
  ['board, event hub', (u) => /\/core\/(job-board|answer-bytes|token-stream|event-hub|lane-stats|memory-view)\./.test(u)],
  ['scheduler pump', (u) => u.includes('/scheduler/')],
  ['upstream call, pipe', (u) => /\/core\/(upstream-call|pipe)\./.test(u)],
  ['ollama client (headers)', (u) => u.includes('/ollama/client.')],
  ['transcript assembly', (u) => u.includes('/ollama/transcript.') || u.includes('/shared/types.')],
  ['metrics', (u) => u.includes('/core/metrics.') || /\/(prom-client|tdigest|bintrees)\//.test(u)],
  ['errors, wire', (u) => u.includes('/server/errors.') || u.includes('/ollama/wire.')],
  ['other foreman', (u) => u.includes('/dist/main/') || u.includes('/dist/shared/') || /\/main\/.*\.ts$/.test(u)],
  ['undici', (u) => u.includes('/undici/')],
  ['pino (logger)', (u) => /\/(pino|pino-std-serializers|thread-stream|sonic-boom)\//.test(u)],
  [
    'fastify routing, hooks, reply',
    (u) =>
      /\/(fastify|find-my-way|avvio|light-my-request|fast-json-stringify|@fastify\/[^/]+|toad-cache|fastq|secure-json-parse|fast-querystring|process-warning|abstract-logging|rfdc)\//.test(
        u,
      ),
  ],
  ['other packages', (u) => u.includes('/node_modules/')],
];

/** Stacks of Node internals only, by the file at the top of the stack that names the work. */
function internalComponent(frames: CallFrame[]): string {
  for (const f of frames) {
    const u = f.url;
    if (/_http_client|_http_agent/.test(u)) return 'node http client';
    if (/_http_server|_http_incoming/.test(u)) return 'node http server (parse, response)';
    if (/_http_outgoing|_http_common/.test(u)) return 'node http server (parse, response)';
    if (/node:net|stream_base_commons|internal\/streams/.test(u)) return 'node net, streams';
    if (/internal\/timers|node:timers/.test(u)) return 'node timers';
    if (/internal\/process\/task_queues|processTicksAndRejections/.test(u + f.functionName)) return 'node microtasks, nextTick';
  }
  const leaf = frames[0]?.functionName ?? '';
  if (leaf === '(garbage collector)') return '(garbage collector)';
  if (leaf === '(idle)') return '(idle)';
  if (leaf === '(program)') return '(program: native, not JS)';
  return 'node other';
}

/** Native socket writes: the syscall and what the kernel does inside it (loopback delivery, waking the reader). */
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']);

function componentOf(frames: CallFrame[]): string {
  if (!frames[0]!.url && SOCKET_WRITES.has(frames[0]!.functionName)) return 'socket writes (syscalls)';
  // The plain proxy's few lines only call Node's http: what runs below them is charged by Node's file.
  if (frames[0]!.url.endsWith('/bench/plain-proxy.ts')) return 'plain-proxy handler';
  for (const f of frames) {
    if (!f.url || f.url.startsWith('node:') || f.url.endsWith('/bench/plain-proxy.ts')) continue;
    for (const [name, test] of COMPONENTS) if (test(f.url, f.functionName)) return name;
  }
  return internalComponent(frames);
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

interface Summary {
  file: string;
  /** foreman or plain-proxy, from the code the profile ran. */
  who: string;
  windowMs: number;
  requests: number;
  byComponent: Map<string, number>;
  byFile: Map<string, number>;
  byFunction: Map<string, number>;
  inclusive: Map<string, number>;
  /** Time in `--callers` function, by the (shortened) stack above it. */
  callers: Map<string, number>;
}

/** Null for a profile with no sample inside a request handler (tsx's loader thread, a server that served nothing). */
function summarise(file: string, requestsArg: number | undefined, callersOf: string | undefined): Summary | null {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // Leaf-first stack of each node, computed once per node.
  const stacks = new Map<number, CallFrame[]>();
  const stackOf = (id: number): CallFrame[] => {
    let s = stacks.get(id);
    if (s) return s;
    s = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) s.push(byId.get(cur)!.callFrame);
    stacks.set(id, s);
    return s;
  };
  // foreman's inference route, or the plain proxy's request listener: the same place in a request.
  const inHandler = (frames: CallFrame[]) =>
    frames.some((f) => f.url.includes('/server/passthrough.') || f.url.endsWith('/bench/plain-proxy.ts'));
  // foreman, named by its build (BENCH_FOREMAN_BIN_B profiles two), or the plain proxy.
  const handler = profile.nodes.find((n) => n.callFrame.url.includes('/server/passthrough.'))?.callFrame.url;
  const who = handler
    ? `foreman ${handler.replace(/^file:\/\//, '').replace(/\/(dist\/)?main\/server\/passthrough\..*$/, '')}`
    : 'plain-proxy';

  // Sample i lasts until sample i+1 (timeDeltas[i+1]).
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  let first = -1;
  let last = -1;
  profile.samples.forEach((id, i) => {
    if (inHandler(stackOf(id))) {
      if (first === -1) first = i;
      last = i;
    }
  });
  if (first === -1) return null;

  // Requests: distinct entries into the handler, i.e. handler samples whose previous sample was not in it.
  // That undercounts when two requests run back to back without a sample between; --requests is exact.
  let entries = 0;
  let prevIn = false;
  const byComponent = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const callers = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const frames = stackOf(id);
    const isIn = inHandler(frames);
    if (isIn && !prevIn) entries++;
    prevIn = isIn;
    const leaf = frames[0]!;
    add(byComponent, componentOf(frames), dt);
    add(byFile, shortUrl(leaf.url), dt);
    add(byFunction, `${leaf.functionName || '(anonymous)'} ${shortUrl(leaf.url)}:${leaf.lineNumber + 1}`, dt);
    if (callersOf && leaf.functionName === callersOf) {
      const above = frames
        .slice(1)
        .filter((f) => f.functionName && f.functionName !== '(anonymous)')
        .slice(0, 12);
      add(callers, above.map((f) => `${f.functionName}@${path.basename(shortUrl(f.url))}:${f.lineNumber + 1}`).join(' < '), dt);
    }
    const seen = new Set<string>();
    for (const f of frames) {
      if (!f.url || f.url.startsWith('node:')) continue;
      const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, dt);
    }
  }
  return {
    file,
    who,
    windowMs: (times[last]! - times[first]!) / 1000,
    requests: requestsArg ?? entries,
    byComponent,
    byFile,
    byFunction,
    inclusive,
    callers,
  };
}

function print(s: Summary, top: number): void {
  const us = (v: number) => (v / s.requests).toFixed(1).padStart(8);
  const pct = (v: number) => `${((100 * v) / (s.windowMs * 1000)).toFixed(1).padStart(5)}%`;
  const busy = [...s.byComponent].filter(([k]) => k !== '(idle)').reduce((a, [, v]) => a + v, 0);
  console.log(
    `\n== ${s.who} (${path.basename(s.file)}): ${s.windowMs.toFixed(0)} ms window, ${s.requests} requests, ` +
      `${((s.windowMs * 1000) / s.requests).toFixed(0)} µs wall per request, ${(busy / s.requests).toFixed(0)} µs busy per request ==`,
  );
  const section = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n${title}`.padEnd(64) + '  µs/req    share');
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${k.slice(0, 62).padEnd(62)}${us(v)}  ${pct(v)}`);
  };
  section('by component (innermost foreman or package frame)', s.byComponent, 100);
  section('by file (self time)', s.byFile, top);
  section('by function (self time)', s.byFunction, top);
  section('by function (inclusive, foreman and packages)', s.inclusive, top);
  if (s.callers.size) {
    console.log('\nstacks above the --callers function');
    for (const [k, v] of [...s.callers].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${us(v)}  ${pct(v)}  ${k}`);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, top: { type: 'string', default: '25' }, callers: { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE_OR_DIR… [--requests N] [--top 25]');
  process.exit(2);
}
const files = positionals.flatMap((p) =>
  fs.statSync(p).isDirectory()
    ? fs
        .readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(p, f))
    : [p],
);
for (const f of files) {
  const summary = summarise(f, values.requests ? Number(values.requests) : undefined, values.callers);
  if (summary) print(summary, Number(values.top));
  else console.log(`\n== ${path.basename(f)}: no sample inside a request handler, skipped`);
}
