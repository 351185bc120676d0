/**
 * `npm run bench`: the benchmarks in sequence, each in a fresh Node process so one's heap,
 * JIT state and leftover sockets cannot colour the next one's figures.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { ROOT, tsx } from './processes.js';

const BENCHES = [
  'bench/overhead.ts',
  'bench/streaming.ts',
  'bench/scheduling.ts',
  'bench/memory-scheduling.ts',
  'bench/submits.ts',
  'bench/webhooks.ts',
  'bench/crash-loop.ts',
  'bench/hosts.ts',
  'bench/ui.ts',
];

function run(script: string): Promise<number> {
  const { command, args } = tsx(script, []);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

console.log(
  `foreman benchmarks — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
);
// The benchmarks run foreman's built CLI and window: build them from the current source first.
const build = await new Promise<number>((resolve) =>
  spawn('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' }).once('exit', (code) => resolve(code ?? 1)),
);
if (build !== 0) {
  console.error('npm run build failed; not benchmarking a stale build');
  process.exit(1);
}
let failed = 0;
for (const script of BENCHES) {
  const started = Date.now();
  const code = await run(script);
  console.log(`(${script}: ${((Date.now() - started) / 1000).toFixed(1)} s${code === 0 ? '' : `, exit ${code}`})`);
  if (code !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
