/**
 * The webhook delivery log and manual redelivery (registered under /foreman): list and inspect
 * deliveries with every attempt, send one again, or send again everything that failed since a time.
 */
import type { FastifyInstance } from 'fastify';
import type { Delivery, DeliveryAttempt, DeliveryState, DeliveryStore } from '../store/deliveries.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { BadTime, DeliveryNotFound, DeliveryPending, DeliverySending } from './errors.js';
import type { DeliveryAttemptRow, DeliveryRow } from '../../shared/api.js';

export interface DeliveriesDeps {
  deliveries: DeliveryStore;
  dispatcher: Pick<WebhookDispatcher, 'kick'>;
  clock: Clock;
}

const STATES: readonly DeliveryState[] = ['pending', 'delivered', 'exhausted', 'disabled'];
const TIME = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 64 },
    { type: 'integer', minimum: 0 },
  ],
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: STATES },
    job_id: { type: 'string', minLength: 1, maxLength: 128 },
    failed: { type: 'boolean' },
    since: { type: 'string', minLength: 1, maxLength: 64 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

const redeliverAllBody = {
  type: 'object',
  required: ['since'],
  additionalProperties: false,
  properties: { since: TIME },
} as const;

interface ListQuery {
  state?: DeliveryState;
  job_id?: string;
  failed?: boolean;
  since?: string;
  limit: number;
  cursor?: string;
}

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** An ISO 8601 time or milliseconds since the epoch. */
function parseTime(value: string | number, field: string): number {
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new BadTime(field);
  return ms;
}

/**
 * `webhook-id` is the delivery id: the same on every attempt, so receivers dedupe on it. `blocker` is
 * the earlier delivery of the same job this one waits for (a job's webhooks go in order).
 */
export function deliveryView(d: Delivery, blocker: Delivery | null = null): DeliveryRow {
  return {
    id: d.id,
    webhook_id: d.id,
    job_id: d.job_id,
    sequence: d.sequence,
    type: d.type,
    url: d.url,
    state: d.state,
    attempt_count: d.attempts,
    redelivery: d.redelivery,
    created_at: iso(d.created_at),
    next_attempt_at: iso(d.next_attempt_at),
    finished_at: iso(d.finished_at),
    last_status: d.last_status,
    last_error: d.last_error,
    waiting_for: blocker && { id: blocker.id, type: blocker.type, next_attempt_at: iso(blocker.next_attempt_at) },
  };
}

/**
 * For each pending delivery among `rows`: the first pending delivery of its job with a lower sequence,
 * which the dispatcher sends (or retries) before it. One look per job with pending rows.
 */
function blockers(deliveries: DeliveryStore, rows: readonly Delivery[]): Map<string, Delivery> {
  const out = new Map<string, Delivery>();
  for (const jobId of new Set(rows.filter((d) => d.state === 'pending').map((d) => d.job_id))) {
    const pending = deliveries.list({ jobId, state: 'pending', limit: 1000 });
    const first = pending.reduce<Delivery | null>((a, d) => (a === null || d.sequence < a.sequence ? d : a), null);
    if (!first) continue;
    for (const d of rows) if (d.job_id === jobId && d.state === 'pending' && d.sequence > first.sequence) out.set(d.id, first);
  }
  return out;
}

function attemptView(d: Delivery, a: DeliveryAttempt): DeliveryAttemptRow {
  return {
    attempt: a.attempt,
    webhook_id: d.id,
    type: d.type,
    redelivery: a.redelivery,
    started_at: iso(a.started_at),
    finished_at: iso(a.started_at + a.duration_ms),
    duration_ms: a.duration_ms,
    request_headers: a.request_headers,
    status: a.status,
    error_class: a.error_class,
    error: a.error,
    response_body: a.response_body,
    next_attempt_at: iso(a.next_attempt_at),
  };
}

function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}

export async function deliveriesPlugin(app: FastifyInstance, deps: DeliveriesDeps): Promise<void> {
  const { deliveries, dispatcher, clock } = deps;
  // JSON only: a cross-origin "simple" request cannot send application/json, so it gets 415 here.
  app.removeContentTypeParser('text/plain');
  // Fastify's own JSON parser (with its poisoning guards), except that an empty body is no body: clients
  // often send the JSON content type on a body-less POST like /redeliver.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body.length === 0 ? done(null, undefined) : json(request, body.toString(), done),
  );

  function found(id: string): Delivery {
    const d = deliveries.get(id);
    if (!d) throw new DeliveryNotFound(id);
    return d;
  }

  app.get<{ Querystring: ListQuery }>('/deliveries', { schema: { querystring: listQuery } }, async (request) => {
    const q = request.query;
    // One row more than asked tells whether there is a next page.
    const rows = deliveries.list({
      state: q.state,
      jobId: q.job_id,
      failed: q.failed,
      since: q.since === undefined ? undefined : parseTime(q.since, 'since'),
      before: q.cursor,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const waits = blockers(deliveries, page);
    return {
      deliveries: page.map((d) => deliveryView(d, waits.get(d.id))),
      next_cursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    };
  });

  app.get<{ Params: { id: string } }>('/deliveries/:id', { schema: { params: idParams } }, async (request) => {
    const d = found(request.params.id);
    return {
      ...deliveryView(d, blockers(deliveries, [d]).get(d.id)),
      payload: parsePayload(d.payload),
      attempts: deliveries.attempts(d.id).map((a) => attemptView(d, a)),
    };
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/redeliver', { schema: { params: idParams } }, async (request, reply) => {
    const d = found(request.params.id);
    if (d.state === 'pending') {
      // Waiting for a retry: the next attempt goes now (same webhook-id, same bytes), not a second copy.
      if (!deliveries.retryNow(d.id, clock.now())) throw new DeliverySending(d.id);
      dispatcher.kick();
      reply.code(202);
      return { delivery: deliveryView(found(d.id)) };
    }
    // A race with the dispatcher can only make it pending again, which is the same answer.
    if (!deliveries.redeliver(d.id, clock.now())) throw new DeliveryPending(d.id);
    dispatcher.kick();
    reply.code(202);
    return { delivery: deliveryView(found(d.id)) };
  });

  app.post<{ Body: { since: string | number } }>(
    '/deliveries/redeliver',
    { schema: { body: redeliverAllBody } },
    async (request, reply) => {
      const redelivered = deliveries.redeliverFailedSince(parseTime(request.body.since, 'since'), clock.now());
      dispatcher.kick();
      reply.code(202);
      return { redelivered };
    },
  );
}
