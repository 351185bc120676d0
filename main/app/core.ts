/**
 * The headless core, built without listening: the store (behind the data-directory lock), one Ollama
 * client and monitor per host, the scheduler over all hosts, the job board, /jobs and webhooks, metrics.
 * Every part is made after the parts it needs; what a part reports (a dispatch, a finished job, an
 * `/api/ps` answer) goes out as a signal, and the listeners are wired in one place at the end, so no
 * part depends on being declared after another. `buildServer(core)` puts HTTP in front of it.
 */
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { openStore, type Store } from '../store/store.js';
import { lockDataDir, type DataDirLock } from '../store/data-dir-lock.js';
import { createScheduler, systemClock, type Clock, type DispatchEvent, type Scheduler } from '../scheduler/scheduler.js';
import { HOLD_MS } from '../scheduler/keep-alive-hold.js';
import { createOllamaClient, type OllamaClient } from '../ollama/client.js';
import { createHostMonitor, type HostMonitor } from '../hosts/host-monitor.js';
import { createUpstreams, type Upstreams } from '../hosts/upstreams-runtime.js';
import { loadWebhookSecret } from '../core/webhook-secret.js';
import { createJobRunner, type JobRunner, type RetryPolicy } from '../jobs/job-runner.js';
import { eventBody } from '../jobs/job-view.js';
import type { AsyncJobStore } from '../store/async-jobs.js';
import { createWebhookDispatcher, type WebhookDispatcher } from '../webhooks/dispatcher.js';
import type { AddressPolicy } from '../webhooks/url-policy.js';
import { createEventHub, type EventHub } from '../core/event-hub.js';
import { createJobBoard, type JobBoard } from '../core/job-board.js';
import { createMemoryFeed, type HostStatus } from '../core/memory-view.js';
import { REAL_LOAD_NS } from '../core/lane-stats.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { createModelCatalog, type ModelCatalog } from '../core/model-catalog.js';
import { deliveryView } from '../server/deliveries.js';
import { createOllamaSupervisor, type OllamaSupervisor } from '../core/ollama-supervisor.js';
import type { JobRow } from '../../shared/api.js';
import type { ForemanConfig } from '../core/config.js';

export interface CoreOptions {
  clock?: Clock;
  /** How /jobs that got no answer are retried (tests shorten it). */
  jobRetry?: Partial<RetryPolicy>;
  /** Where the dispatcher's errors go. */
  onError?: (err: unknown, where: string) => void;
}

/** What the parts report, listened to once everything exists. */
interface Signals {
  dispatch: [DispatchEvent];
  loadReleased: [string];
  finished: [JobRow];
  hostChanged: [];
  transition: [];
}

export interface Core {
  config: ForemanConfig;
  clock: Clock;
  store: Store;
  webhookSecret: string;
  hub: EventHub;
  board: JobBoard;
  scheduler: Scheduler;
  /** Every host's client and health, for the request path. */
  upstreams: Upstreams;
  /** The first host's client: pass-through routes, management, probes of `--manage-ollama`. */
  ollama: OllamaClient;
  /** The first host's monitor (the single-host fields of the admin API). */
  residency: HostMonitor;
  monitors: HostMonitor[];
  hostStatuses(): HostStatus[];
  /** Models some host holds, from the last `/api/ps` answers. */
  resident(): string[];
  metrics: Metrics;
  models: ModelCatalog;
  jobs: AsyncJobStore;
  runner: JobRunner;
  dispatcher: WebhookDispatcher;
  webhookPolicy: AddressPolicy;
  supervisor: OllamaSupervisor | null;
  /** Starts the background work once the server listens at `url`: recovery, webhooks, probes. */
  start(url: string): void;
  /** Stops taking work, lets running jobs finish within `graceMs`; the server is closed by the caller. */
  drain(graceMs: number): Promise<void>;
  /** Closes clients and the database, releasing the data-directory lock. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function createCore(config: ForemanConfig, options: CoreOptions = {}): Core {
  const clock = options.clock ?? systemClock;
  const signals = new EventEmitter<Signals>();
  // One foreman per data directory: a second one stops here, naming the first (ADR-0015).
  const lock: DataDirLock = lockDataDir(config.dataDir);
  const store = lock.holding(() => {
    const opened = openStore({ file: path.join(config.dataDir, 'foreman.db') });
    opened.failInterruptedPassthrough(clock.now());
    return opened;
  });
  const webhookSecret = loadWebhookSecret(config.dataDir, config.webhookSecret);
  const hub = createEventHub();
  const board = createJobBoard({ hub, onFinished: (row) => signals.emit('finished', row) });

  const scheduler = createScheduler({
    concurrency: config.concurrency,
    holdMs: HOLD_MS,
    // One job waits at Ollama behind the running ones: no idle round trip between jobs (ADR-0016).
    sendAhead: true,
    gpuMemory: config.gpuMemory,
    maxLoaded: config.maxLoaded,
    hosts: config.upstreams.map((u) => ({ id: u.id, gpuMemory: u.gpuMemory ?? undefined, maxLoaded: u.maxLoaded ?? undefined })),
    maxWaitMs: config.maxWaitMs,
    maxQueue: config.maxQueue,
    clock,
    onDispatch: (e) => signals.emit('dispatch', e),
    onLoadReleased: (host) => signals.emit('loadReleased', host),
  });

  const several = config.upstreams.length > 1;
  const monitors = config.upstreams.map((u) =>
    createHostMonitor({
      id: u.id,
      client: createOllamaClient({
        upstream: u.address,
        connections: Math.max(16, config.concurrency * 2),
        upstreamTimeoutMs: config.upstreamTimeoutMs,
      }),
      hub,
      scheduler,
      clock,
      // One host: a down Ollama still gets each request, so the client hears Ollama's error at once.
      gatesWork: several,
      onAnswer: () => signals.emit('hostChanged'),
      onHealth: () => signals.emit('hostChanged'),
    }),
  );
  const residency = monitors[0] as HostMonitor;
  const ollama = residency.client;
  const upstreams = createUpstreams(monitors);
  const hostStatuses = (): HostStatus[] => monitors.map((m) => ({ id: m.id, url: m.client.upstream.origin, health: m.health }));
  const memoryFeed = createMemoryFeed({ scheduler, hub, hosts: hostStatuses });
  // Only models Ollama has become metric labels and timeline lanes.
  const models = createModelCatalog({ list: () => upstreams.tags() });
  const metrics = createMetrics({ scheduler, models });

  let url = '';
  const jobs = store.asyncJobs((job, type, now) =>
    eventBody(job, type, now, { baseUrl: () => url, maxResultBytes: config.webhookMaxResultBytes }),
  );
  const webhookPolicy: AddressPolicy = { allowLoopback: true, allowPrivate: config.webhookAllowPrivate };
  const dispatcher = createWebhookDispatcher({
    deliveries: store.deliveries,
    secret: webhookSecret,
    retriesMs: config.webhookRetriesMs,
    clock,
    addressPolicy: webhookPolicy,
    onError: (err) => options.onError?.(err, 'webhook dispatcher'),
    onAttempt({ delivery, outcome }) {
      metrics.onDelivery(outcome.state);
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
          // The upstream badge should not wait for the next probe.
          if (change.status === 'running') void residency.refresh();
        },
      })
    : null;
  const runner = createJobRunner({
    store,
    jobs,
    scheduler,
    upstreams,
    clock,
    board,
    retry: options.jobRetry,
    onTransition: () => signals.emit('transition'),
  });

  // The wiring: who hears what.
  signals.on('dispatch', (e) => {
    metrics.onDispatch(e);
    memoryFeed.changed();
    if (e.switched) hub.publish({ type: 'model', model: e.lane, change: 'switch' });
  });
  // What a host holds after a load (footprint, what it kept beside it) is asked for at once.
  signals.on('loadReleased', (host) => void monitors.find((m) => m.id === host)?.refresh());
  signals.on('finished', (row) => {
    metrics.onFinished(row);
    memoryFeed.changed();
    const load = row.load_duration;
    if (load !== undefined && load > REAL_LOAD_NS)
      hub.publish({ type: 'model', model: row.lane, change: 'loaded', load_ms: Math.round(load / 1e6) });
  });
  // What the hosts hold together (the window's `resident` list), announced when it changes.
  let residentNow = '';
  const resident = () => [...new Set(monitors.flatMap((m) => m.resident))];
  signals.on('hostChanged', () => {
    memoryFeed.changed();
    const models = resident();
    if (models.join('\n') === residentNow) return;
    residentNow = models.join('\n');
    hub.publish({ type: 'resident', models });
  });
  signals.on('transition', () => dispatcher.kick());

  const prune = () => store.pruneFinished(clock.now() - config.retentionDays * DAY_MS);
  let pruneTimer: NodeJS.Timeout | null = null;

  return {
    config,
    clock,
    store,
    webhookSecret,
    hub,
    board,
    scheduler,
    upstreams,
    ollama,
    residency,
    monitors,
    hostStatuses,
    resident,
    metrics,
    models,
    jobs,
    runner,
    dispatcher,
    webhookPolicy,
    supervisor,
    start(listening) {
      url = listening;
      lock.setUrl(url);
      prune();
      pruneTimer = setInterval(prune, 3_600_000);
      pruneTimer.unref();
      // Jobs accepted before a crash or restart go back in line, and their pending webhooks go out.
      runner.recover();
      dispatcher.start();
      for (const m of monitors) m.start();
      models.start();
      supervisor?.start();
    },
    async drain(graceMs) {
      scheduler.pause();
      await Promise.race([scheduler.whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      // Whatever still runs is abandoned, not canceled: the next start re-queues it.
      runner.abandonWorking();
      await dispatcher.stop(Math.min(graceMs, 2000));
      // Only now: the jobs that just finished needed the Ollama we started.
      await supervisor?.stop(Math.min(graceMs, 5000));
    },
    async close() {
      if (pruneTimer) clearInterval(pruneTimer);
      for (const m of monitors) m.stop();
      models.stop();
      memoryFeed.stop();
      await Promise.all(monitors.map((m) => m.client.close()));
      if (store.db.open) store.failInterruptedPassthrough(clock.now());
      store.close();
      lock.release();
    },
  };
}
