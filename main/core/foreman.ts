/**
 * The composition root of the headless core: opens the store, builds the Ollama client, the scheduler
 * and the server, listens, and shuts down in reverse order. The CLI and the Electron shell both call it.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { openStore, type Store } from '../store/store.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { createScheduler, systemClock, type Clock, type Scheduler } from '../scheduler/scheduler.js';
import { createOllamaClient, type OllamaClient } from '../ollama/client.js';
import { buildServer } from '../server/build-server.js';
import { DEFAULT_ALLOWED_ORIGINS, isLoopbackAddress } from '../server/safety.js';
import { loadWebhookSecret } from './webhook-secret.js';
import { createJobRunner, type JobRunner } from '../jobs/job-runner.js';
import { eventBody } from '../jobs/job-view.js';
import { createWebhookDispatcher, type WebhookDispatcher } from '../webhooks/dispatcher.js';
import { createEventHub, type EventHub } from './event-hub.js';
import { createJobBoard, type JobBoard } from './job-board.js';
import { createHostMonitor } from '../hosts/host-monitor.js';
import { createMemoryFeed } from './memory-view.js';
import { HOLD_MS } from '../scheduler/keep-alive-hold.js';
import { REAL_LOAD_NS } from './lane-stats.js';
import { createMetrics } from './metrics.js';
import { createModelCatalog } from './model-catalog.js';
import { deliveryView } from '../server/deliveries.js';
import type { JobRow } from '../../shared/api.js';
import { createOllamaSupervisor, type OllamaSupervisor } from './ollama-supervisor.js';
import type { ForemanConfig } from './config.js';

export interface Foreman {
  url: string;
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  ollama: OllamaClient;
  webhookSecret: string;
  runner: JobRunner;
  dispatcher: WebhookDispatcher;
  hub: EventHub;
  board: JobBoard;
  /** Keeps a local `ollama serve` alive; null unless `manageOllama`. */
  supervisor: OllamaSupervisor | null;
  /** Stop taking work, let running jobs finish within `graceMs`, then close the server and the database. */
  close(graceMs?: number): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startForeman(
  config: ForemanConfig,
  options: { clock?: Clock; logger?: FastifyServerOptions['logger']; uiRoot?: string } = {},
): Promise<Foreman> {
  const clock = options.clock ?? systemClock;
  // One foreman per data directory: a second one stops here, naming the first (ADR-0015).
  const lock = lockDataDir(config.dataDir);
  const store = lock.holding(() => {
    const opened = openStore({ file: path.join(config.dataDir, 'foreman.db') });
    opened.failInterruptedPassthrough(clock.now());
    return opened;
  });
  const webhookSecret = loadWebhookSecret(config.dataDir, config.webhookSecret);
  const ollama = createOllamaClient({ upstream: config.upstream, connections: Math.max(16, config.concurrency * 2) });
  const hub = createEventHub();
  // Declared below; the board only calls back once jobs finish.
  const board = createJobBoard({ hub, onFinished: (row) => finished(row) });
  const scheduler = createScheduler({
    concurrency: config.concurrency,
    holdMs: HOLD_MS,
    // One job waits at Ollama behind the running ones: no idle round trip between jobs (ADR-0016).
    sendAhead: true,
    gpuMemory: config.gpuMemory,
    maxLoaded: config.maxLoaded,
    maxWaitMs: config.maxWaitMs,
    maxQueue: config.maxQueue,
    clock,
    onDispatch(e) {
      metrics.onDispatch(e);
      memoryFeed.changed();
      if (e.switched) hub.publish({ type: 'model', model: e.lane, change: 'switch' });
    },
    // What Ollama holds after a load (footprint, what it kept beside it) is asked for at once.
    onLoadReleased: () => void residency.refresh(),
  });
  const hostStatuses = () => [{ id: residency.id, url: ollama.upstream.origin, health: residency.health }];
  const memoryFeed = createMemoryFeed({ scheduler, hub, hosts: hostStatuses });
  // One host: a down Ollama still gets each request, so the client hears Ollama's error at once.
  const residency = createHostMonitor({
    id: 'local', client: ollama, hub, scheduler, clock, gatesWork: false,
    onAnswer: () => memoryFeed.changed(),
    onHealth: () => memoryFeed.changed(),
  });
  // Declared after the scheduler it reads; the scheduler only calls back once jobs arrive.
  // Only models Ollama has become metric labels and timeline lanes.
  const models = createModelCatalog({ list: () => ollama.tags() });
  const metrics = createMetrics({ scheduler, models });
  const m = metrics;
  /** Finished jobs feed the metrics and announce real model loads. */
  function finished(row: JobRow): void {
    m.onFinished(row);
    memoryFeed.changed();
    const load = row.load_duration;
    if (load !== undefined && load > REAL_LOAD_NS) hub.publish({ type: 'model', model: row.lane, change: 'loaded', load_ms: Math.round(load / 1e6) });
  }
  let url = '';
  const jobs = store.asyncJobs((job, type, now) => eventBody(job, type, now, { baseUrl: () => url, maxResultBytes: config.webhookMaxResultBytes }));
  const webhookPolicy = { allowLoopback: true, allowPrivate: config.webhookAllowPrivate };
  const dispatcher = createWebhookDispatcher({
    deliveries: store.deliveries,
    secret: webhookSecret,
    retriesMs: config.webhookRetriesMs,
    clock,
    addressPolicy: webhookPolicy,
    onError: (err) => app.log.error({ err }, 'webhook dispatcher'),
    onAttempt({ delivery, outcome }) {
      m.onDelivery(outcome.state);
      const now = store.deliveries.get(delivery.id);
      if (now) hub.publish({ type: 'delivery', delivery: deliveryView(now) });
    },
  });
  const supervisor = config.manageOllama
    ? createOllamaSupervisor({
        upstream: config.upstream,
        bin: config.ollamaBin,
        isUp: () => ollama.isUp(),
        onStatus(change) {
          hub.publish({ type: 'ollama', ...change });
          // The upstream badge should not wait for the next residency poll.
          if (change.status === 'running') void residency.refresh();
        },
      })
    : null;
  const runner = createJobRunner({ store, jobs, scheduler, ollama, clock, board, onTransition: () => dispatcher.kick() });

  let draining = false;
  const app = buildServer({
    store,
    scheduler,
    ollama,
    clock,
    runner,
    jobs,
    dispatcher,
    webhookPolicy,
    board,
    hub,
    residency,
    hosts: hostStatuses,
    metrics,
    models,
    supervisor,
    uiRoot: options.uiRoot,
    checkHost: isLoopbackAddress(config.listenHost),
    allowedOrigins: [...config.origins, ...DEFAULT_ALLOWED_ORIGINS],
    bodyLimit: config.bodyLimit,
    logger: options.logger,
    isDraining: () => draining,
  });

  const prune = () => store.pruneFinished(clock.now() - config.retentionDays * DAY_MS);
  prune();
  const pruneTimer = setInterval(prune, 3_600_000);
  pruneTimer.unref();

  try {
    url = await app.listen({ host: config.listenHost, port: config.listenPort });
  } catch (err) {
    clearInterval(pruneTimer);
    await ollama.close();
    store.close();
    lock.release();
    throw err;
  }
  lock.setUrl(url);
  // Jobs accepted before a crash or restart go back in line, and their pending webhooks go out.
  runner.recover();
  dispatcher.start();
  residency.start();
  models.start();
  supervisor?.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    store,
    scheduler,
    ollama,
    webhookSecret,
    runner,
    dispatcher,
    hub,
    board,
    supervisor,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        draining = true;
        scheduler.pause();
        await Promise.race([scheduler.whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
        // Whatever still runs is abandoned, not canceled: the next start re-queues it.
        runner.abandonWorking();
        await dispatcher.stop(Math.min(graceMs, 2000));
        // Only now: the jobs that just finished needed the Ollama we started.
        await supervisor?.stop(Math.min(graceMs, 5000));
        clearInterval(pruneTimer);
        residency.stop();
        models.stop();
        memoryFeed.stop();
        await app.close();
        await ollama.close();
        store.failInterruptedPassthrough(clock.now());
        store.close();
        lock.release();
      })();
      return closing;
    },
  };
}
