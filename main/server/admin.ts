/** foreman's own read-only view of itself: health and the queue snapshot. */
import type { FastifyInstance } from 'fastify';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { OllamaClient } from '../ollama/client.js';

export async function adminPlugin(app: FastifyInstance, deps: { scheduler: Scheduler; ollama: OllamaClient }): Promise<void> {
  app.get('/health', async () => ({
    status: 'ok',
    upstream: deps.ollama.upstream.origin,
    queued: deps.scheduler.waiting,
    running: deps.scheduler.running,
  }));

  app.get('/queue', async () => {
    const snap = deps.scheduler.snapshot();
    return {
      current: snap.current,
      running: snap.running,
      paused: snap.paused,
      lanes: snap.lanes.map((l) => ({ model: l.name, queued: l.waiting.length, jobs: l.waiting.map((j) => j.id) })),
    };
  });
}
