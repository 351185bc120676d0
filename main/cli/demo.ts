/**
 * `npm run demo`: foreman in front of the Ollama simulator, for someone without Ollama to see it work.
 * Everything stays on loopback; the simulator's answers are canned words at a readable pace.
 */
import os from 'node:os';
import path from 'node:path';
import { createSimulator } from '../sim/simulator.js';
import { parseConfig } from '../core/config.js';
import { startForeman } from '../core/foreman.js';

async function main(): Promise<void> {
  const sim = createSimulator({ loadMs: 800, tokensPerSecond: 25, maxLoaded: 1 });
  const simUrl = await sim.listen(0, '127.0.0.1');
  // The demo keeps its own data (not your real foreman's) unless told otherwise.
  const dataDir = process.env.FOREMAN_DATA_DIR ?? path.join(os.tmpdir(), 'foreman-demo');
  const config = parseConfig(['--upstream', simUrl, '--data-dir', dataDir, ...process.argv.slice(2)], process.env);
  const foreman = await startForeman(config, { logger: { level: 'warn', stream: process.stderr } });
  const u = foreman.url;
  process.stdout.write(`foreman listening on ${u}
Ollama simulator (demo upstream, one model resident, 0.8 s loads) on ${simUrl}
data: ${config.dataDir}
webhook signing secret: ${foreman.webhookSecret}
The window: ${u}/ui/

Try it from another terminal:
  curl ${u}/api/chat -d '{"model":"llama3.2","messages":[{"role":"user","content":"hello"}]}'
  curl ${u}/api/generate -d '{"model":"gemma3:1b","prompt":"hi","stream":false}'
  curl ${u}/foreman/queue
  curl ${u}/jobs -H 'content-type: application/json' -d '{"api":"generate","request":{"model":"mistral","prompt":"hi"}}'
Send mixed models at once; foreman groups them by model (the simulator counts its loads):
  for m in llama3.2 gemma3:1b llama3.2 gemma3:1b llama3.2 gemma3:1b; do
    curl -s ${u}/api/generate -d "{\\"model\\":\\"$m\\",\\"prompt\\":\\"hi\\",\\"stream\\":false}" >/dev/null & done; wait
  curl -s ${simUrl}/__sim/stats | head -c 300; echo
Any Ollama client works too: OLLAMA_HOST=${u}
Ctrl-C stops both.
`);
  const stop = async () => {
    await foreman.close(2000);
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
});
