#!/usr/bin/env node
// A stand-in for the `ollama` binary in tests: `fake-ollama serve` runs the project's Ollama simulator
// on OLLAMA_HOST (in this process, so its pid is the server's), writes log lines like Ollama's, and
// exits on SIGTERM. FAKE_OLLAMA_EXIT_CODE=N makes it fail at once instead (a broken install).
import { register } from 'tsx/esm/api';

const [command] = process.argv.slice(2);
if (command !== 'serve') {
  console.error(`fake-ollama: only "serve" is supported, got ${command}`);
  process.exit(2);
}
if (process.env.FAKE_OLLAMA_EXIT_CODE) {
  console.error('Error: fake-ollama was told to fail');
  process.exit(Number(process.env.FAKE_OLLAMA_EXIT_CODE));
}

// Ollama's reading of OLLAMA_HOST: host:port, port 11434 when missing.
const raw = (process.env.OLLAMA_HOST ?? '127.0.0.1:11434').replace(/^https?:\/\//, '');
const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(raw);
const host = m?.[1] ?? (m?.[2] || '127.0.0.1');
const port = Number(m?.[3] ?? 11434);

register();
const { createSimulator } = await import('../sim/simulator.ts');
const sim = createSimulator({ loadMs: Number(process.env.FAKE_OLLAMA_LOAD_MS ?? 10), tokensPerSecond: 0 });
const log = (msg) => console.error(`time=${new Date().toISOString()} level=INFO source=fake-ollama msg="${msg}"`);
try {
  await sim.listen(port, host);
} catch (err) {
  console.error(`Error: listen tcp ${host}:${port}: ${err.message}`);
  process.exit(1);
}
log(`Listening on ${host}:${port} (version fake) pid=${process.pid}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    log(`received ${signal}, shutting down`);
    void sim.close().then(() => process.exit(0));
  });
}
