/**
 * The composition of foreman's HTTP surfaces. Never listens: the caller (CLI, Electron shell, test)
 * decides where.
 */
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Store } from '../store/store.js';
import type { AsyncJobStore } from '../store/async-jobs.js';
import type { Clock, Scheduler } from '../scheduler/scheduler.js';
import type { OllamaClient } from '../ollama/client.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import type { AddressPolicy } from '../webhooks/url-policy.js';
import type { JobBoard } from '../core/job-board.js';
import type { EventHub } from '../core/event-hub.js';
import type { HostMonitor } from '../hosts/host-monitor.js';
import type { Upstreams } from '../hosts/upstreams-runtime.js';
import type { HostStatus } from '../core/memory-view.js';
import type { Metrics } from '../core/metrics.js';
import type { ModelCatalog } from '../core/model-catalog.js';
import type { OllamaSupervisor } from '../core/ollama-supervisor.js';
import { errorReply } from '../ollama/wire.js';
import { flavorOf, installErrorHandler } from './errors.js';
import { createRequestGuard, createSafetyHook } from './safety.js';
import { createInferenceFastPath, createInferenceHandler, forwardPlugin, passthroughPlugin } from './passthrough.js';
import { adminPlugin } from './admin.js';
import { createEventStream, eventsPlugin } from './events.js';
import { jobsPlugin } from './jobs.js';
import { deliveriesPlugin } from './deliveries.js';
import { uiPlugin } from './ui.js';
import { hostsUnionPlugin } from './hosts-union.js';

/** The parts of the core the HTTP surfaces use (`createCore` makes them). */
export interface ServerCore {
  store: Store;
  scheduler: Scheduler;
  /** The first host's client: what passes straight through goes there. */
  ollama: OllamaClient;
  /** Every host's client and health: inference goes to the host its job was placed on. */
  upstreams: Upstreams;
  clock: Clock;
  runner: JobRunner;
  jobs: AsyncJobStore;
  dispatcher: WebhookDispatcher;
  webhookPolicy: AddressPolicy;
  board: JobBoard;
  hub: EventHub;
  residency: HostMonitor;
  hostStatuses: () => readonly HostStatus[];
  /** Models some host holds (the window's `resident` list). */
  resident: () => readonly string[];
  metrics: Metrics;
  /** Which models Ollama has: the timeline gives no lane to one it does not. */
  models?: Pick<ModelCatalog, 'exists'>;
  /** The `--manage-ollama` supervisor, if on. */
  supervisor?: OllamaSupervisor | null;
}

export interface ServerOptions {
  /** Refuse requests whose Host is not loopback (DNS rebinding). On when listening on loopback. */
  checkHost: boolean;
  /** Origin patterns allowed besides same-origin (Ollama's defaults plus OLLAMA_ORIGINS). */
  allowedOrigins: readonly string[];
  /** @default 100 MiB */
  bodyLimit?: number;
  /** True once shutdown began: new requests get 503 while running ones finish. */
  isDraining?: () => boolean;
  /** The built window; defaults to dist/renderer in the project. */
  uiRoot?: string;
  logger?: FastifyServerOptions['logger'];
}

export function buildServer(core: ServerCore, options: ServerOptions): FastifyInstance {
  const deps = { ...core, ...options };
  const bodyLimit = deps.bodyLimit ?? 100 * 1024 * 1024;
  const isDraining = deps.isDraining;
  const guard = { checkHost: deps.checkHost, allowedOrigins: deps.allowedOrigins };
  const handleInference = createInferenceHandler({
    store: deps.store,
    scheduler: deps.scheduler,
    upstreams: deps.upstreams,
    clock: deps.clock,
    board: deps.board,
  });
  const allowed = createRequestGuard(guard);
  const inferenceFastPath = createInferenceFastPath(handleInference, {
    bodyLimit,
    accept: (req) => allowed(req.headers) && !isDraining?.(),
  });
  const app = Fastify({
    // Inference POSTs are served before Fastify routes them (≈ 45 µs of CPU per request, bench/RESULTS.md);
    // everything else, and whatever the guards refuse, goes to Fastify.
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (!inferenceFastPath(req, res)) handler(req, res);
      });
      // What Fastify sets on a server it makes itself (its defaults, and no request timeout: model loads and long generations).
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      return server;
    },
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
  app.addHook('onRequest', createSafetyHook(guard));
  if (isDraining) {
    app.addHook('onRequest', (request, reply, done) => {
      if (!isDraining()) return done();
      const { contentType, body } = errorReply(flavorOf(request.url), 503, 'foreman is shutting down');
      reply.code(503).type(contentType).send(body);
    });
  }
  const { store, scheduler, ollama, clock, board, hub } = deps;
  const stream = createEventStream(hub);
  app.register(adminPlugin, {
    prefix: '/foreman',
    scheduler,
    ollama,
    store,
    board,
    hub,
    residency: deps.residency,
    hosts: deps.hostStatuses,
    resident: deps.resident,
    clock,
    supervisor: deps.supervisor ?? null,
    events: stream,
    models: deps.models,
  });
  app.register(eventsPlugin, { prefix: '/foreman', stream });
  app.register(deliveriesPlugin, { prefix: '/foreman', deliveries: store.deliveries, dispatcher: deps.dispatcher, clock });
  app.get('/foreman/metrics', async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
  app.register(jobsPlugin, { prefix: '/jobs', runner: deps.runner, store, jobs: deps.jobs, addressPolicy: deps.webhookPolicy });
  app.register(uiPlugin, { root: deps.uiRoot });
  app.register(passthroughPlugin, { handle: handleInference });
  // Several hosts answer lists and management as one Ollama; with one, everything is a byte pipe.
  if (deps.upstreams.monitors.length > 1)
    app.register(hostsUnionPlugin, { hosts: deps.upstreams.monitors.map((m) => ({ id: m.id, client: m.client, up: () => m.up })) });
  app.register(forwardPlugin, { ollama });
  return app;
}
