/**
 * What Ollama holds in memory, asked via `/api/ps` every few seconds and right after every load, and
 * whether Ollama answers at all. Each answer goes to the scheduler as an event (footprints, what fits
 * together, what is gone); the window's resident badges and the upstream status come from here too.
 * Nothing waits on an answer.
 */
import type { OllamaClient, PsModel } from '../ollama/client.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { EventHub } from './event-hub.js';

export interface ResidencyOptions {
  ollama: OllamaClient;
  hub: EventHub;
  scheduler: Scheduler;
  /** @default 3000 */
  intervalMs?: number;
  /** Every answer, after the scheduler has it. */
  onAnswer?: () => void;
}

export function createResidencyMonitor(options: ResidencyOptions) {
  const { ollama, hub, scheduler } = options;
  let models: PsModel[] = [];
  let up = true;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let again = false;

  function publishResident(next: PsModel[]): void {
    const before = models.map((m) => m.model).join('\n');
    models = next;
    if (models.map((m) => m.model).join('\n') !== before) hub.publish({ type: 'resident', models: models.map((m) => m.model) });
  }

  function refresh(): Promise<void> {
    if (inFlight) {
      // A load finished while the last question was out: its answer cannot show it, ask once more.
      again = true;
      return inFlight;
    }
    const epoch = scheduler.loadEpoch();
    inFlight = ollama
      .ps(AbortSignal.timeout(1500))
      .then((answer) => {
        if (!up) hub.publish({ type: 'upstream', up: (up = true) });
        publishResident(answer);
        if (!scheduler.observePs(answer.map((m) => ({ model: m.model, bytes: m.size })), epoch)) again = true;
        options.onAnswer?.();
      })
      .catch(() => {
        publishResident([]);
        if (up) hub.publish({ type: 'upstream', up: (up = false) });
      })
      .finally(() => {
        inFlight = null;
        if (again) {
          again = false;
          void refresh();
        }
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
    /** Normalised names of the models Ollama held at the last look. */
    get resident(): readonly string[] {
      return models.map((m) => m.model);
    },
    /** The last `/api/ps` answer. */
    get models(): readonly PsModel[] {
      return models;
    },
    get up(): boolean {
      return up;
    },
  };
}

export type ResidencyMonitor = ReturnType<typeof createResidencyMonitor>;
