/**
 * Starts foreman: the core (`createCore`), the HTTP server in front of it (`buildServer(core)`), listening,
 * then the core's background work; and shuts down in reverse order. The CLI, the demo, the Electron
 * shell and the tests all call this.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildServer } from '../server/build-server.js';
import { isLoopbackAddress } from '../ollama/ollama-host.js';
import { DEFAULT_ALLOWED_ORIGINS } from '../server/safety.js';
import type { ForemanConfig } from '../core/config.js';
import { createCore, type Core, type CoreOptions } from './core.js';

export interface Foreman extends Core {
  url: string;
  app: FastifyInstance;
  /** Stop taking work, let running jobs finish within `graceMs`, then close the server and the database. */
  close(graceMs?: number): Promise<void>;
}

export async function startForeman(
  config: ForemanConfig,
  options: CoreOptions & { logger?: FastifyServerOptions['logger']; uiRoot?: string } = {},
): Promise<Foreman> {
  // The core's errors go to the server's log, which exists once the server does.
  const log: { to?: FastifyInstance } = {};
  const core = createCore(config, { ...options, onError: (err, where) => log.to?.log.error({ err }, where) });
  let draining = false;
  const app = buildServer(core, {
    uiRoot: options.uiRoot,
    checkHost: isLoopbackAddress(config.listenHost),
    allowedOrigins: [...config.origins, ...DEFAULT_ALLOWED_ORIGINS],
    bodyLimit: config.bodyLimit,
    logger: options.logger,
    isDraining: () => draining,
  });
  log.to = app;
  let url: string;
  try {
    url = await app.listen({ host: config.listenHost, port: config.listenPort });
  } catch (err) {
    await core.close();
    throw err;
  }
  core.start(url);
  let closing: Promise<void> | undefined;
  return {
    ...core,
    url,
    app,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        draining = true;
        await core.drain(graceMs);
        await app.close();
        await core.close();
      })();
      return closing;
    },
  };
}
