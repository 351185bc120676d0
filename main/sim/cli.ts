/**
 * `npm run ollama-sim -- --listen 127.0.0.1:11434 --models llama3.2=2GB,nomic-embed-text --vram-mb 8192 …`
 * (`--help` lists every option). Prints `ollama-sim listening on http://HOST:PORT` once ready (scripts
 * wait for that line); SIGTERM/SIGINT close it. A bad argument, a host that does not resolve or a port
 * it cannot take is one line on stderr and exit code 2.
 */
import { lookup } from 'node:dns/promises';
import { parseCliArgs, usage, UsageError, type CliRun } from './sim-cli-args.js';
import { createSimulator } from './simulator.js';

/** Exit code for a command line that cannot run. */
const USAGE_EXIT = 2;

function fail(message: string, code = USAGE_EXIT): never {
  process.stderr.write(`ollama-sim: ${message}\n`);
  process.exit(code);
}

/** One line for what `listen` threw. */
function listenError(err: NodeJS.ErrnoException, run: CliRun): string {
  const where = `${run.host}:${run.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${run.port} on ${run.host} is taken (another Ollama or simulator?); choose another with --listen HOST:PORT, or --listen 127.0.0.1:0 for any free port`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${run.host} is not an address of this machine`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); try --listen 127.0.0.1:0`;
    default:
      return `cannot listen on ${where}: ${err.code ?? err.message}`;
  }
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(usage());
    return;
  }
  try {
    await lookup(command.host);
  } catch (err) {
    fail(`cannot resolve the --listen host ${JSON.stringify(command.host)} (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
  }
  const sim = createSimulator(command.options);
  try {
    console.log(`ollama-sim listening on ${await sim.listen(command.port, command.host)}`);
  } catch (err) {
    fail(listenError(err as NodeJS.ErrnoException, command));
  }
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      void sim.close().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err), 1));
