/**
 * `/foreman/metrics` in Prometheus text (prom-client): queue depth per model, wait and run times,
 * model switches and loads, webhook deliveries by outcome. One registry per foreman, not the global one.
 * A `model` label is a model Ollama has, or `other`: names clients make up never become series.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobRow } from '../../shared/api.js';
import type { DispatchEvent, Scheduler } from '../scheduler/scheduler.js';
import type { ModelCatalog } from './model-catalog.js';
import { REAL_LOAD_NS } from './lane-stats.js';

const SOURCES = ['passthrough', 'jobs'] as const;

export function createMetrics(options: { scheduler: Scheduler; models: Pick<ModelCatalog, 'label'> }) {
  const registry = new Registry();
  const { scheduler, models } = options;

  new Gauge({
    name: 'foreman_queue_depth',
    help: 'Jobs waiting, per model',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      const depth = new Map<string, number>();
      for (const lane of scheduler.snapshot().lanes) {
        const model = models.label(lane.name);
        depth.set(model, (depth.get(model) ?? 0) + lane.waiting.length);
      }
      for (const [model, n] of depth) this.set({ model }, n);
    },
  });
  new Gauge({
    name: 'foreman_jobs_running',
    help: 'Requests in flight to Ollama, per host',
    labelNames: ['host'],
    registers: [registry],
    collect() {
      for (const h of scheduler.snapshot().hosts)
        this.set(
          { host: h.id },
          h.runners.reduce((n, r) => n + r.inFlight, 0),
        );
    },
  });
  const wait = new Histogram({
    name: 'foreman_job_wait_seconds',
    help: 'Time from arrival to start',
    labelNames: ['source'],
    buckets: [0.005, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
    collect: count,
  });
  const run = new Histogram({
    name: 'foreman_job_run_seconds',
    help: 'Time from start to the last byte',
    labelNames: ['source', 'state'],
    buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
    collect: count,
  });
  // `host` is a configured Ollama host (bounded by --upstream); `none` for jobs that never started.
  const jobs = new Counter({
    name: 'foreman_jobs_total',
    help: 'Finished jobs',
    labelNames: ['source', 'state', 'host'],
    registers: [registry],
    collect: count,
  });
  const switches = new Counter({
    name: 'foreman_model_switches_total',
    help: 'Loads foreman started, per host and model',
    labelNames: ['host', 'model'],
    registers: [registry],
    collect: count,
  });
  const loads = new Counter({
    name: 'foreman_model_loads_total',
    help: 'Model loads Ollama reported (load_duration over 50 ms)',
    labelNames: ['host', 'model'],
    registers: [registry],
    collect: count,
  });
  const loadTime = new Histogram({
    name: 'foreman_model_load_seconds',
    help: 'Model load time Ollama reported',
    labelNames: ['host', 'model'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 60],
    registers: [registry],
    collect: count,
  });
  const deliveries = new Counter({
    name: 'foreman_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Zero series exist from the start, so rates work before the first event.
  for (const source of SOURCES) wait.zero({ source });
  for (const outcome of ['delivered', 'retry', 'exhausted', 'disabled']) deliveries.inc({ outcome }, 0);

  // Every request dispatches and finishes a job. prom-client hashes labels and allocates on each
  // observation, a few µs per request on a cold cache, right after the answer was sent. So events only
  // wait in a list here and are counted in one go when metrics are read (each metric's `collect`), or
  // once the list is long, off the path of the request that produced them.
  const dispatched: DispatchEvent[] = [];
  const finished: JobRow[] = [];
  const PENDING_MAX = 1024;
  function count(): void {
    for (const e of dispatched) {
      wait.observe({ source: SOURCES[e.cls] }, e.waitedMs / 1000);
      if (e.switched) switches.inc({ host: e.host, model: models.label(e.lane) });
    }
    dispatched.length = 0;
    for (const row of finished) {
      const host = row.host ?? 'none';
      jobs.inc({ source: row.source, state: row.state, host });
      if (row.started_at !== null && row.finished_at !== null)
        run.observe({ source: row.source, state: row.state }, (row.finished_at - row.started_at) / 1000);
      if (row.load_duration !== undefined && row.load_duration > REAL_LOAD_NS) {
        const labels = { host, model: models.label(row.lane) };
        loads.inc(labels);
        loadTime.observe(labels, row.load_duration / 1e9);
      }
    }
    finished.length = 0;
  }

  return {
    registry,
    onDispatch(e: DispatchEvent): void {
      if (dispatched.push(e) >= PENDING_MAX) count();
    },
    onFinished(row: JobRow): void {
      if (finished.push(row) >= PENDING_MAX) count();
    },
    onDelivery(outcome: 'delivered' | 'pending' | 'exhausted' | 'disabled'): void {
      deliveries.inc({ outcome: outcome === 'pending' ? 'retry' : outcome });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
