/**
 * One Ollama host, watched: what it holds (`/api/ps` every few seconds and right after every load, each
 * answer an event for the scheduler) and whether it answers at all (the health state machine, fed by
 * these probes and by failed requests). A host that goes down gets no new work and is probed on a
 * backoff; one probe that passes brings it back. Nothing waits on a probe.
 */
import type { OllamaClient, PsModel } from '../ollama/client.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { EventHub } from '../core/event-hub.js';
import { DEFAULT_HEALTH_POLICY, initialHealth, nextHealth, takesWork, type Health, type HealthPolicy } from './host-health.js';

export interface HostMonitorOptions {
  id: string;
  client: OllamaClient;
  hub: EventHub;
  scheduler: Scheduler;
  clock: Clock;
  /** Probe interval while the host is up. @default 2000 */
  intervalMs?: number;
  /** How long a probe may take. @default 1500 */
  probeTimeoutMs?: number;
  policy?: HealthPolicy;
  /**
   * Whether a down host stops getting work. Off with a single host: with nowhere else to go, a request
   * should get Ollama's error at once, as without foreman, not wait for the host. @default true
   */
  gatesWork?: boolean;
  /** Every `/api/ps` answer (or failed probe), after the scheduler has it. */
  onAnswer?: () => void;
  /** The host went down or came back up. */
  onHealth?: (health: Health) => void;
}

/** Down hosts are probed at least this often, so one that comes back shows within a few seconds. */
export const HOST_POLICY: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, maxBackoffMs: 3000 };

export function createHostMonitor(options: HostMonitorOptions) {
  const { id, client, hub, scheduler, clock } = options;
  const intervalMs = options.intervalMs ?? 2000;
  const policy = options.policy ?? HOST_POLICY;
  let models: PsModel[] = [];
  let health = initialHealth(clock.now());
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let inFlight: Promise<void> | null = null;
  let again = false;

  function observe(event: Parameters<typeof nextHealth>[1]): void {
    const before = health;
    health = nextHealth(health, event, clock.now(), policy);
    if (takesWork(before) === takesWork(health)) return;
    if (options.gatesWork ?? true) scheduler.setHostUp(id, takesWork(health));
    hub.publish({ type: 'upstream', up: takesWork(health), host: id });
    options.onHealth?.(health);
  }

  function schedule(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    // A suspect host is asked again soon: one failure is noise or the start of an outage.
    const wait =
      health.state === 'up' ? intervalMs : health.state === 'suspect' ? policy.minBackoffMs : Math.max(0, health.retryAt - clock.now());
    timer = setTimeout(() => void refresh(), wait);
    timer.unref();
  }

  function refresh(): Promise<void> {
    if (inFlight) {
      // A load finished while the last question was out: its answer cannot show it, ask once more.
      again = true;
      return inFlight;
    }
    const epoch = scheduler.loadEpoch(id);
    inFlight = client
      .ps(AbortSignal.timeout(options.probeTimeoutMs ?? 1500))
      .then((answer) => {
        observe({ kind: 'ok' });
        models = answer;
        if (
          !scheduler.observePs(
            answer.map((m) => ({ model: m.model, bytes: m.size })),
            epoch,
            id,
          )
        )
          again = true;
        options.onAnswer?.();
      })
      .catch((err: unknown) => {
        models = [];
        observe({ kind: 'failed', reason: (err as Error).message ?? String(err) });
        options.onAnswer?.();
      })
      .finally(() => {
        inFlight = null;
        if (again) {
          again = false;
          void refresh();
        } else schedule();
      });
    return inFlight;
  }

  return {
    id,
    client,
    start(): void {
      stopped = false;
      void refresh();
    },
    stop(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    refresh,
    /** A request to this host got no answer (refused, reset, timed out before the head). */
    reportFailure(reason: string): void {
      // One failed request is a stronger sign than one failed probe: count it as two.
      observe({ kind: 'failed', reason });
      if (takesWork(health)) observe({ kind: 'failed', reason });
      schedule();
    },
    /** Normalised names of the models the host held at the last look. */
    get resident(): readonly string[] {
      return models.map((m) => m.model);
    },
    /** The last `/api/ps` answer. */
    get models(): readonly PsModel[] {
      return models;
    },
    get up(): boolean {
      return takesWork(health);
    },
    get health(): Health {
      return health;
    },
  };
}

export type HostMonitor = ReturnType<typeof createHostMonitor>;
