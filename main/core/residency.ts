/**
 * What Ollama holds in memory, asked via `/api/ps` every few seconds, and whether Ollama answers at
 * all. The window's resident badges and the upstream status come from here.
 */
import type { OllamaClient } from '../ollama/client.js';
import type { EventHub } from './event-hub.js';

export function createResidencyMonitor(options: { ollama: OllamaClient; hub: EventHub; intervalMs?: number }) {
  const { ollama, hub } = options;
  let resident: string[] = [];
  let up = true;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;

  function refresh(): Promise<void> {
    inFlight ??= ollama
      .residentModels(AbortSignal.timeout(1500))
      .then((names) => {
        resident = names;
        if (!up) hub.publish({ type: 'upstream', up: (up = true) });
      })
      .catch(() => {
        resident = [];
        if (up) hub.publish({ type: 'upstream', up: (up = false) });
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  return {
    start(): void {
      void refresh();
      timer = setInterval(() => void refresh(), options.intervalMs ?? 3000);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
    refresh,
    get resident(): readonly string[] {
      return resident;
    },
    get up(): boolean {
      return up;
    },
  };
}

export type ResidencyMonitor = ReturnType<typeof createResidencyMonitor>;
