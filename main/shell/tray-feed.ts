/**
 * The tray's view of the core, read the way the window reads it: the admin API (through Fastify's
 * `inject`, so no socket) and the event hub. Runs in the Electron main process next to the core.
 */
import type { DeliveryRow, ForemanEvent, OllamaStatus, QueueSnapshot } from '../../shared/api.js';
import { trayLanes, type TrayLane } from './tray-model.js';

/** What the feed needs of a started foreman (`startForeman`'s result has it). */
export interface CoreLike {
  app: { inject(options: { method: 'GET' | 'POST'; url: string }): Promise<{ statusCode: number; body: string }> };
  hub: { subscribe(fn: (e: { id: string; event: ForemanEvent }) => void, options?: { watch?: boolean }): () => void };
}

export interface CoreState {
  lanes: TrayLane[];
  paused: boolean;
  upstreamUp: boolean;
  ollama: { status: OllamaStatus; managed: boolean };
  failingDeliveries: number;
}

export interface TrayFeed {
  load(): Promise<CoreState>;
  subscribe(fn: (event: ForemanEvent) => void): () => void;
  /** POSTs an admin action (`/foreman/pause`…), so its events go out as if the window had clicked it. */
  post(url: string): Promise<void>;
}

/** A delivery that gave up longer ago than this no longer turns the tray red. */
const GAVE_UP_SHOWN_MS = 3_600_000;

export function failingDeliveries(rows: readonly Pick<DeliveryRow, 'state' | 'finished_at'>[], now: number): number {
  return rows.filter((d) => d.state === 'pending' || (d.finished_at !== null && now - Date.parse(d.finished_at) < GAVE_UP_SHOWN_MS)).length;
}

export function createTrayFeed(core: CoreLike, now: () => number = Date.now): TrayFeed {
  async function get<T>(url: string): Promise<T> {
    const res = await core.app.inject({ method: 'GET', url });
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
    return JSON.parse(res.body) as T;
  }
  return {
    async load() {
      const [queue, health, failed] = await Promise.all([
        get<QueueSnapshot>('/foreman/queue'),
        get<{ ollama: CoreState['ollama'] }>('/foreman/health'),
        get<{ deliveries: DeliveryRow[] }>('/foreman/deliveries?failed=true&limit=100'),
      ]);
      return {
        lanes: trayLanes(queue),
        paused: queue.paused,
        upstreamUp: queue.upstream.up,
        ollama: health.ollama,
        failingDeliveries: failingDeliveries(failed.deliveries, now()),
      };
    },
    subscribe(fn) {
      return core.hub.subscribe(({ event }) => fn(event), { watch: false });
    },
    async post(url) {
      await core.app.inject({ method: 'POST', url });
    },
  };
}
