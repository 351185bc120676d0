#!/usr/bin/env node
/** `foreman serve [options]`: the headless core in the foreground. */
import { ConfigError, parseConfig, usage } from '../core/config.js';
import { startForeman } from '../app/foreman.js';
import { foremanVersion } from './version.js';

const isVersion = (arg: string) => arg === '--version' || arg === '-v';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && (isVersion(command) || command === 'version')) {
    process.stdout.write(`foreman ${foremanVersion()}\n`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage());
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`foreman: unknown command "${command}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  if (rest.some(isVersion)) {
    process.stdout.write(`foreman ${foremanVersion()}\n`);
    return 0;
  }
  let config;
  try {
    config = parseConfig(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`foreman: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let foreman;
  try {
    foreman = await startForeman(config, { logger: { level: process.env.FOREMAN_LOG_LEVEL ?? 'warn', stream: process.stderr } });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `foreman: ${config.listenHost}:${config.listenPort} is already in use (another foreman?); pick another with --listen HOST:PORT\n`,
      );
      return 1;
    }
    throw err;
  }
  // One write, so whoever waits for the listening line also has the rest.
  process.stdout.write(
    `foreman listening on ${foreman.url}\n` +
      `upstream Ollama: ${config.upstream.origin}${config.upstream.prefix}\n` +
      `data: ${config.dataDir}\n` +
      `webhook signing secret: ${foreman.webhookSecret}\n` +
      `point clients here: OLLAMA_HOST=${foreman.url}\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`foreman: ${signal}, finishing running requests\n`);
      foreman.close().then(resolve, (err) => {
        process.stderr.write(`foreman: shutdown failed: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`foreman: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
