/**
 * The models Ollama has (`/api/tags`), so that only real models become metric labels and timeline lanes
 * (ADR-0015): a client can send any model name, and every name kept as a label is a series forever.
 * Refreshed every `refreshMs`, and soon after an unknown name appears (at most once per `minGapMs`, so
 * a flood of made-up names costs one `/api/tags` call per gap).
 */
import { modelOfLane } from '../scheduler/runner-key.js';

export const OTHER_MODEL = 'other';

export interface ModelCatalogOptions {
  /** Normalised names of the installed models. */
  list: () => Promise<string[]>;
  /** @default 30000 */
  refreshMs?: number;
  /** Least time between two refreshes asked for by unknown names. @default 5000 */
  minGapMs?: number;
  now?: () => number;
}

export function createModelCatalog(options: ModelCatalogOptions) {
  const refreshMs = options.refreshMs ?? 30_000;
  const minGapMs = options.minGapMs ?? 5_000;
  const now = options.now ?? Date.now;
  let known: Set<string> | null = null;
  let lastAsked = -Infinity;
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function refresh(): Promise<void> {
    lastAsked = now();
    inFlight ??= options
      .list()
      .then((names) => void (known = new Set(names)))
      // Ollama down: keep what was known; the next refresh tries again.
      .catch(() => {})
      .finally(() => void (inFlight = null));
    return inFlight;
  }

  function has(model: string): boolean {
    if (known?.has(model)) return true;
    if (!inFlight && now() - lastAsked >= minGapMs) void refresh();
    return false;
  }

  return {
    refresh,

    /** The metric label for a lane (or model): its model if Ollama has it, else `other`. */
    label(lane: string): string {
      const model = modelOfLane(lane);
      return has(model) ? model : OTHER_MODEL;
    },

    /** False only for a model Ollama is known not to have; before the first answer, every model may exist. */
    exists(lane: string): boolean {
      return has(modelOfLane(lane)) || known === null;
    },

    start(): void {
      void refresh();
      timer ??= setInterval(() => void refresh(), refreshMs);
      timer.unref();
    },

    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
