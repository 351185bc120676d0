/**
 * `/foreman/events`: the event hub as Server-Sent Events. A reconnecting EventSource sends
 * `Last-Event-ID`; what it missed is replayed, or it is told to `resync` from the snapshot.
 */
import type { FastifyInstance } from 'fastify';
import type { EventHub, StampedEvent } from '../core/event-hub.js';

const PING_MS = 15_000;

function frame(e: StampedEvent): string {
  return `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;
}

export async function eventsPlugin(app: FastifyInstance, deps: { hub: EventHub }): Promise<void> {
  const { hub } = deps;
  app.get('/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    // Tell the browser how soon to reconnect after a restart.
    res.write('retry: 1000\n\n');
    const last = request.headers['last-event-id'];
    if (typeof last === 'string' && last) {
      const missed = hub.since(last);
      if (missed === null) res.write(`id: ${hub.lastId}\nevent: resync\ndata: {"type":"resync"}\n\n`);
      else for (const e of missed) res.write(frame(e));
    }
    const unsubscribe = hub.subscribe((e) => res.write(frame(e)));
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    res.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  });
}
