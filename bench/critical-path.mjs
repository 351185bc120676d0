/**
 * A preload (`node --import bench/critical-path.mjs …`) that times one proxy's critical path per
 * request, from Node's and undici's diagnostics channels and the socket writes: request parsed →
 * upstream write → upstream answer's head → client write → response finished. `bench/overhead.ts`
 * adds it to foreman and the plain proxy with `BENCH_MARKS=DIR`; at exit each process writes the
 * medians and quartiles of every step to DIR, so the two proxies can be compared step by step.
 *
 * Sequential requests only (the overhead benchmark's): marks go to the request being served.
 */
import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = process.env.BENCH_MARKS;
const who = process.argv.some((a) => a.endsWith('foreman.js'))
  ? 'foreman'
  : process.argv.some((a) => a.endsWith('plain-proxy.ts'))
    ? 'plain-proxy'
    : null;
const INFERENCE = /^\/(api\/(chat|generate|embed|embeddings)|v1\/(chat\/completions|completions|embeddings|responses|messages))$/;

if (dir && who) {
  const requests = [];
  let current = null;
  const mark = (label) => {
    if (current) current.push([label, performance.now()]);
  };
  dc.subscribe('http.server.request.start', ({ request }) => {
    current = request.method === 'POST' && INFERENCE.test(request.url) ? [['request parsed', performance.now()]] : null;
    if (current) requests.push(current);
  });
  dc.subscribe('undici:request:headers', () => mark('upstream head parsed'));
  dc.subscribe('http.client.response.finish', () => mark('upstream head parsed'));
  dc.subscribe('http.server.response.finish', () => mark('response finished'));
  // The two socket writes of a request: its upstream request, then the answer to the client.
  const write = net.Socket.prototype._writeGeneric;
  net.Socket.prototype._writeGeneric = function (...args) {
    const which = current?.some(([label]) => label === 'upstream head parsed') ? 'client' : 'upstream';
    mark(`${which} write start`);
    const result = write.apply(this, args);
    mark(`${which} write end`);
    return result;
  };

  process.once('exit', () => {
    // The first 300 are the benchmark's warm-up.
    const done = requests.slice(300).filter((marks) => marks.at(-1)?.[0] === 'response finished');
    const steps = new Map();
    for (const marks of done) {
      for (let i = 1; i < marks.length; i++) {
        const key = `${marks[i - 1][0]} → ${marks[i][0]}`;
        if (!steps.has(key)) steps.set(key, { order: i, us: [] });
        steps.get(key).us.push((marks[i][1] - marks[i - 1][1]) * 1000);
      }
    }
    const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const script = process.argv.find((a) => a.endsWith('foreman.js') || a.endsWith('plain-proxy.ts'));
    const lines = [
      `${who} (${script}): ${done.length} requests; µs per step: p25 p50 p75 (steps seen in fewer than half of the requests left out)`,
    ];
    for (const [key, { us }] of [...steps].sort((a, b) => a[1].order - b[1].order)) {
      if (us.length < done.length / 2) continue;
      const sorted = us.sort((a, b) => a - b);
      lines.push(
        `${q(sorted, 0.25).toFixed(1).padStart(8)} ${q(sorted, 0.5).toFixed(1).padStart(8)} ${q(sorted, 0.75).toFixed(1).padStart(8)}  ${key}`,
      );
    }
    const total = done.map((marks) => (marks.at(-1)[1] - marks[0][1]) * 1000).sort((a, b) => a - b);
    if (total.length)
      lines.push(
        `${q(total, 0.25).toFixed(1).padStart(8)} ${q(total, 0.5).toFixed(1).padStart(8)} ${q(total, 0.75).toFixed(1).padStart(8)}  request parsed → response finished`,
      );
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${who}-${process.pid}.txt`), `${lines.join('\n')}\n`);
  });
}
