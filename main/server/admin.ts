/**
 * foreman's own API for the window (`/foreman/*`): the queue snapshot, job history and detail,
 * cancel, pause and resume, the timeline. Live changes arrive on the event stream (events.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { JobDetail, LaneSnapshot, QueueSnapshot } from '../../shared/api.js';
import type { JobSource, JobState } from '../../shared/types.js';
import type { Clock, Scheduler } from '../scheduler/scheduler.js';
import type { OllamaClient } from '../ollama/client.js';
import type { Store } from '../store/store.js';
import type { JobBoard } from '../core/job-board.js';
import type { EventHub } from '../core/event-hub.js';
import type { HostMonitor } from '../hosts/host-monitor.js';
import type { OllamaSupervisor } from '../core/ollama-supervisor.js';
import type { EventStreamStats } from './events.js';
import type { ModelCatalog } from '../core/model-catalog.js';
import { toJobRow } from '../core/job-row.js';
import { hostRows, memoryView, type HostStatus } from '../core/memory-view.js';
import { buildTimeline } from '../core/timeline.js';
import { assembleTranscript } from '../ollama/transcript.js';
import { normalizeModel } from '../ollama/model-name.js';
import { JobNotActive, JobNotFound, OllamaNotManaged } from './errors.js';

export interface AdminDeps {
  scheduler: Scheduler;
  ollama: OllamaClient;
  store: Store;
  board: JobBoard;
  hub: EventHub;
  /** The first host's monitor: its residency and health (the single-host fields of the API). */
  residency: HostMonitor;
  /** Every host's address and health, for the hosts rows. */
  hosts: () => readonly HostStatus[];
  /** Models some host holds. */
  resident: () => readonly string[];
  clock: Clock;
  /** The `--manage-ollama` supervisor, or null when foreman leaves Ollama to the user. */
  supervisor?: OllamaSupervisor | null;
  /** The `/foreman/events` subscribers, for health. */
  events?: { stats(): EventStreamStats };
  /** Which models Ollama has, for the timeline. */
  models?: Pick<ModelCatalog, 'exists'>;
}

const STATES = ['queued', 'working', 'succeeded', 'failed', 'canceled'];

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: { type: 'string', enum: ['passthrough', 'jobs'] },
    model: { type: 'string', minLength: 1 },
    state: { type: 'string', enum: STATES },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    cursor: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { scheduler, store, board, hub, residency, clock } = deps;
  const supervisor = deps.supervisor ?? null;
  // POSTs here carry no body worth reading; accept any (or none) without a parser complaint.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => {
    payload.resume();
    done(null);
  });

  app.get('/health', async () => {
    const storage = store.storageHealth();
    const hosts = deps.hosts().map((h) => ({
      id: h.id,
      url: h.url,
      state: h.health.state,
      reason: h.health.state === 'up' ? null : h.health.reason,
      since: h.health.since,
    }));
    const allUp = hosts.every((h) => h.state !== 'down');
    return {
      // Degraded while history cannot be written or an Ollama host does not answer: either way clients suffer.
      status: storage.writable && residency.up && allUp ? 'ok' : 'degraded',
      upstream: deps.ollama.upstream.origin,
      upstream_up: residency.up,
      queued: scheduler.waiting,
      running: scheduler.running,
      paused: scheduler.snapshot().paused,
      ollama: { status: supervisor?.status ?? (residency.up ? 'external' : 'stopped'), managed: supervisor !== null },
      // Whether history and jobs can be written now, and passthrough records lost while they could not.
      storage,
      // Subscribers, the bytes waiting to reach them, and how many were dropped for not reading.
      events: deps.events?.stats() ?? null,
      // Every Ollama host: up, suspect (one failed probe or request) or down (takes no work), and why.
      hosts,
    };
  });

  app.post('/ollama/start', async (_request, reply) => {
    if (!supervisor) throw new OllamaNotManaged();
    supervisor.start();
    reply.code(202);
    return { status: supervisor.status };
  });

  app.get('/ollama/logs', async () => ({
    managed: supervisor !== null,
    status: supervisor?.status ?? null,
    pid: supervisor?.pid ?? null,
    lines: supervisor?.logs() ?? [],
  }));

  app.get('/queue', async (): Promise<QueueSnapshot> => {
    const eventId = hub.lastId;
    const snap = scheduler.snapshot();
    const rows = new Map(board.rows().map((r) => [r.id, r]));
    // Resident as the scheduler knows it, on any host: its own loads at once, corrected by /api/ps.
    const held = new Set(snap.hosts.flatMap((h) => h.runners.map((r) => r.key)));
    const lanes = new Map<string, LaneSnapshot>();
    const lane = (name: string): LaneSnapshot => {
      let l = lanes.get(name);
      if (!l) {
        l = {
          model: name,
          resident: held.has(name),
          current: snap.current === name,
          queued: [],
          running: [],
          oldest_at: null,
          ...board.laneStats(name),
        };
        lanes.set(name, l);
      }
      return l;
    };
    for (const l of snap.lanes) {
      const target = lane(l.name);
      for (const w of l.waiting) {
        const row = rows.get(w.id);
        if (row) target.queued.push(row);
        target.oldest_at = Math.min(target.oldest_at ?? Infinity, w.enqueuedAt);
      }
    }
    for (const row of rows.values()) if (row.state === 'working') lane(row.lane).running.push(row);
    for (const key of held) lane(key);
    return {
      event_id: eventId,
      paused: snap.paused,
      current: snap.current,
      lanes: [...lanes.values()].sort((a, b) => Number(b.current) - Number(a.current) || a.model.localeCompare(b.model)),
      resident: [...deps.resident()],
      memory: memoryView(snap),
      hosts: hostRows(snap, deps.hosts()),
      upstream: { url: deps.ollama.upstream.origin, up: residency.up },
      ollama: { status: supervisor?.status ?? (residency.up ? 'external' : 'stopped'), managed: supervisor !== null },
      now: clock.now(),
    };
  });

  app.get<{ Querystring: { source?: JobSource; model?: string; state?: JobState; limit: number; cursor?: string } }>(
    '/jobs',
    { schema: { querystring: listQuery } },
    async (request) => {
      const q = request.query;
      const page = store.listJobs({
        source: q.source,
        lane: q.model ? normalizeModel(q.model) : undefined,
        state: q.state,
        limit: q.limit,
        before: q.cursor,
      });
      return { jobs: page.map(toJobRow), next_cursor: page.length === q.limit ? (page.at(-1)?.id ?? null) : null };
    },
  );

  function detail(id: string): JobDetail {
    const job = store.getJob(id);
    if (!job) throw new JobNotFound(id);
    const live = board.get(id);
    // A passthrough job's row may still be on its way to disk; the live row is the truth meanwhile.
    const row = live ? live.row : toJobRow(job);
    let partial: JobDetail['partial'] = null;
    if (live && live.row.state === 'working') {
      const t = assembleTranscript({
        api: job.api,
        flavor: live.flavor,
        status: 200,
        contentType: live.flavor === 'openai' ? 'text/event-stream' : 'application/x-ndjson',
        body: board.bytes(id),
      });
      const answer = (t.response ? JSON.parse(t.response) : {}) as {
        message?: { content?: string; thinking?: string };
        response?: string;
        content?: string;
        thinking?: string;
      };
      const part = answer.message ?? answer;
      partial = { content: String(part.content ?? answer.response ?? ''), thinking: String(part.thinking ?? '') };
    }
    return {
      ...row,
      request: parseJson(job.request),
      response: parseJson(job.response),
      partial,
      metadata: parseJson(job.metadata),
      webhook_url: job.webhook_url,
      attempts: job.attempts,
    };
  }

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { params: idParams } }, async (request) => detail(request.params.id));

  app.get<{ Params: { id: string } }>('/jobs/:id/transcript', { schema: { params: idParams } }, async (request) => {
    const d = detail(request.params.id);
    return { id: d.id, state: d.state, request: d.request, response: d.response, partial: d.partial };
  });

  app.post<{ Params: { id: string } }>('/jobs/:id/cancel', { schema: { params: idParams } }, async (request) => {
    const id = request.params.id;
    if (!store.getJob(id) && !board.get(id)) throw new JobNotFound(id);
    if (!board.cancel(id)) throw new JobNotActive(id);
    return { job: board.get(id)?.row ?? toJobRow(store.getJob(id)!) };
  });

  app.post('/pause', async () => {
    scheduler.pause();
    hub.publish({ type: 'queue', paused: true });
    return { paused: true };
  });

  app.post('/resume', async () => {
    scheduler.resume();
    hub.publish({ type: 'queue', paused: false });
    return { paused: false };
  });

  app.get<{ Querystring: { since?: number } }>(
    '/timeline',
    { schema: { querystring: { type: 'object', properties: { since: { type: 'integer', minimum: 0 } } } } },
    async (request) => {
      const now = clock.now();
      const since = request.query.since ?? now - 15 * 60_000;
      return buildTimeline(store.ranSince(since), since, now, deps.models?.exists);
    },
  );
}
