/**
 * The composition of foreman's HTTP surfaces. Never listens: the caller (CLI, Electron shell, test)
 * decides where.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Store } from '../store/store.js';
import type { Clock, Scheduler } from '../scheduler/scheduler.js';
import type { OllamaClient } from '../ollama/client.js';
import { installErrorHandler } from './errors.js';
import { createSafetyHook } from './safety.js';
import { forwardPlugin, passthroughPlugin } from './passthrough.js';
import { adminPlugin } from './admin.js';

export interface ServerDeps {
  store: Store;
  scheduler: Scheduler;
  ollama: OllamaClient;
  clock: Clock;
  /** Refuse requests whose Host is not loopback (DNS rebinding). On when listening on loopback. */
  checkHost: boolean;
  /** Origin patterns allowed besides same-origin (Ollama's defaults plus OLLAMA_ORIGINS). */
  allowedOrigins: readonly string[];
  /** @default 100 MiB */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? 100 * 1024 * 1024;
  const app = Fastify({
    bodyLimit,
    logger: deps.logger ?? false,
    // Open streams and keep-alive sockets would otherwise hold close() for seconds.
    forceCloseConnections: true,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    // Model loads and long generations: no request timeout on the passthrough.
    requestTimeout: 0,
  });
  installErrorHandler(app, bodyLimit);
  app.addHook('onRequest', createSafetyHook({ checkHost: deps.checkHost, allowedOrigins: deps.allowedOrigins }));
  app.register(adminPlugin, { prefix: '/foreman', scheduler: deps.scheduler, ollama: deps.ollama });
  app.register(passthroughPlugin, { store: deps.store, scheduler: deps.scheduler, ollama: deps.ollama, clock: deps.clock });
  app.register(forwardPlugin, { ollama: deps.ollama });
  return app;
}
