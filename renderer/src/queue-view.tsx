/**
 * The default view: one lane per model, the pause switch and what is wrong right now; with several
 * Ollama hosts, a row per host (state, work, memory) above the lanes.
 */
import { useState } from 'react';
import type { LaneSnapshot } from '../../shared/api.js';
import { errorText, setPaused } from './api.js';
import { patchSnapshot, useLive } from './live-store.js';
import { LaneCard } from './lane-card.js';
import { MemoryStrip } from './memory-strip.js';
import { HostRows } from './host-rows.js';
import { hostsHolding, severalHosts } from './hosts.js';

function PauseButton({ paused }: { paused: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      const res = await setPaused(!paused);
      patchSnapshot((s) => ({ ...s, paused: res.paused }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        className={paused ? 'primary' : undefined}
        aria-label={paused ? 'Resume queue' : 'Pause queue'}
        disabled={busy}
        onClick={() => void toggle()}
      >
        {paused ? '▶ Resume' : '❚❚ Pause'}
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** The lane being served first, then by name: the server's order, kept as events add lanes. */
function laneOrder(a: LaneSnapshot, b: LaneSnapshot): number {
  return Number(b.current) - Number(a.current) || a.model.localeCompare(b.model);
}

export function QueueView() {
  const { snapshot, error, evalMean } = useLive();
  if (!snapshot) {
    return (
      <section className="view" aria-labelledby="queue-h">
        <h1 id="queue-h">Queue</h1>
        <p className="muted">{error ? `Cannot reach foreman: ${error}. Retrying…` : 'Loading…'}</p>
      </section>
    );
  }
  const waiting = snapshot.lanes.reduce((n, l) => n + l.queued.length, 0);
  const running = snapshot.lanes.reduce((n, l) => n + l.running.length, 0);
  const several = severalHosts(snapshot);
  return (
    <section className="view" aria-labelledby="queue-h">
      <div className="view-head">
        <h1 id="queue-h">Queue</h1>
        <p className="muted">
          {running.toLocaleString()} running · {waiting.toLocaleString()} waiting · {snapshot.lanes.length}{' '}
          {snapshot.lanes.length === 1 ? 'model' : 'models'}
        </p>
        <div className="spacer" />
        <PauseButton paused={snapshot.paused} />
      </div>
      {snapshot.paused && (
        <div className="banner warn" data-testid="paused-banner">
          <strong>Queue paused.</strong> Running jobs finish; nothing new starts until you resume.
        </div>
      )}
      {!several && !snapshot.upstream.up && (
        <div className="banner error">
          <strong>Ollama is not answering</strong> at <code>{snapshot.upstream.url}</code>. Jobs wait until it is back.
        </div>
      )}
      {several && snapshot.hosts.every((h) => h.state === 'down') && (
        <div className="banner error">
          <strong>No Ollama host is answering.</strong> Jobs wait until one is back.
        </div>
      )}
      {several ? <HostRows hosts={snapshot.hosts} /> : snapshot.memory && <MemoryStrip memory={snapshot.memory} />}
      {snapshot.lanes.length === 0 ? (
        <p className="empty">
          Nothing queued. Requests to Ollama's API through foreman, or to <code>/jobs</code>, show up here grouped by model.
        </p>
      ) : (
        <div className="lanes">
          {[...snapshot.lanes].sort(laneOrder).map((lane) => (
            <LaneCard
              key={lane.model}
              lane={lane}
              evalMean={evalMean[lane.model]}
              heldOn={several ? hostsHolding(snapshot.hosts, lane.model) : null}
            />
          ))}
        </div>
      )}
    </section>
  );
}
