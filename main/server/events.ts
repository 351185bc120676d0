/**
 * `/foreman/events`: the event hub as Server-Sent Events. A reconnecting EventSource sends
 * `Last-Event-ID`; what it missed is replayed, or it is told to `resync` from the snapshot.
 *
 * Backpressure (ADR-0015): events published in one turn of the event loop are serialised once, into
 * one buffer that every subscriber is sent, so a burst costs one write per subscriber instead of one
 * `JSON.stringify` and one write per event per subscriber. A subscriber that stops reading while more
 * than `maxQueuedBytes` waits for it is dropped; it reconnects and catches up (replay or resync), as the
 * window does after a restart. What foreman holds for readers stays bounded however many stall.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { EventHub, StampedEvent } from '../core/event-hub.js';

const PING_MS = 15_000;
const PING = Buffer.from(': ping\n\n');

export interface EventStreamOptions {
  /** Bytes a subscriber may have waiting to be sent before it is dropped. @default 1 MiB */
  maxQueuedBytes?: number;
}

/** What `/foreman/health` shows of the event stream. */
export interface EventStreamStats {
  subscribers: number;
  /** Bytes written to subscribers that their connections have not sent yet, all together. */
  queued_bytes: number;
  /** Subscribers dropped for falling too far behind, since start. */
  dropped: number;
}

interface Client {
  res: ServerResponse;
  /** The last event this client was given. */
  after: number;
}

function frame(e: StampedEvent): string {
  return `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;
}

export function createEventStream(hub: EventHub, options: EventStreamOptions = {}) {
  const maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
  const clients = new Set<Client>();
  let pending: StampedEvent[] = [];
  let flushing = false;
  let dropped = 0;
  let unsubscribe: (() => void) | null = null;
  let ping: NodeJS.Timeout | null = null;

  function remove(c: Client): void {
    if (!clients.delete(c) || clients.size > 0) return;
    unsubscribe?.();
    unsubscribe = null;
    if (ping) clearInterval(ping);
    ping = null;
  }

  /** Writes unless the client is too far behind; a write into an empty queue always goes. */
  function send(c: Client, chunk: Buffer): void {
    const res = c.res;
    if (res.destroyed || res.writableEnded) return remove(c);
    const queued = res.writableLength;
    if (queued > 0 && queued + chunk.length > maxQueued) {
      dropped++;
      remove(c);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  function flush(): void {
    flushing = false;
    const batch = pending;
    pending = [];
    const first = batch[0];
    if (!first) return;
    const last = first.seq + batch.length - 1;
    const texts = batch.map(frame);
    const all = Buffer.from(texts.join(''));
    for (const c of clients) {
      if (c.after >= last) continue;
      // A client that joined during this turn already had the first events in its replay.
      send(c, c.after < first.seq ? all : Buffer.from(texts.slice(c.after + 1 - first.seq).join('')));
      c.after = last;
    }
  }

  function onEvent(e: StampedEvent): void {
    pending.push(e);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  }

  return {
    /** Serves one subscriber on a hijacked reply: replay or resync first, then the live events. */
    attach(res: ServerResponse, lastEventId: string | undefined): void {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      // Tell the browser how soon to reconnect after a restart.
      let head = 'retry: 1000\n\n';
      if (lastEventId) {
        const missed = hub.since(lastEventId);
        head += missed === null ? `id: ${hub.lastId}\nevent: resync\ndata: {"type":"resync"}\n\n` : missed.map(frame).join('');
      }
      res.write(head);
      const c: Client = { res, after: hub.lastSeq };
      clients.add(c);
      unsubscribe ??= hub.subscribe(onEvent);
      ping ??= setInterval(() => {
        for (const client of clients) send(client, PING);
      }, PING_MS);
      ping.unref();
      res.on('close', () => remove(c));
    },

    stats(): EventStreamStats {
      let queued = 0;
      for (const c of clients) queued += c.res.writableLength;
      return { subscribers: clients.size, queued_bytes: queued, dropped };
    },
  };
}

export type EventStream = ReturnType<typeof createEventStream>;

export async function eventsPlugin(app: FastifyInstance, deps: { stream: EventStream }): Promise<void> {
  app.get('/events', (request, reply) => {
    reply.hijack();
    const last = request.headers['last-event-id'];
    deps.stream.attach(reply.raw, typeof last === 'string' ? last : undefined);
  });
}
