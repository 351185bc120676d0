/** `#/timeline`: what was loaded when, and what that cost, with the counters drain-by-model is about. */
import { useEffect, useRef, useState } from 'react';
import type { Timeline } from '../../shared/api.js';
import { errorText, getTimeline, isAbort } from './api.js';
import { duration } from './format.js';
import { serverNow, useForemanEvent, useLive } from './live-store.js';
import { TimelineChart } from './timeline-chart.js';
import { severalHosts } from './hosts.js';
import { useNow } from './use-now.js';

const RANGES = [
  { label: '5 min', ms: 5 * 60_000 },
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 60 * 60_000 },
  { label: '6 h', ms: 6 * 60 * 60_000 },
];
/** At most one refetch per this long, however many job and model events arrive. */
const THROTTLE_MS = 1500;

/** A version number bumped on job and model events, at most once per THROTTLE_MS. */
function useThrottledChanges(): number {
  const [version, setVersion] = useState(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useForemanEvent((e) => {
    if ((e.type !== 'job' && e.type !== 'model') || timer.current) return;
    const wait = Math.max(0, last.current + THROTTLE_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      setVersion((n) => n + 1);
    }, wait);
  });
  return version;
}

/** The chart's swatches (CSS classes) and what each means. */
const LEGEND: readonly [string, string][] = [
  ['band', 'model resident'],
  ['load', 'loading'],
  ['succeeded', 'job succeeded'],
  ['working', 'running'],
  ['failed', 'failed'],
  ['canceled', 'canceled'],
];

export function TimelineView() {
  const { generation, snapshot } = useLive();
  const [rangeMs, setRangeMs] = useState(RANGES[1]!.ms);
  const [data, setData] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const changes = useThrottledChanges();
  // The window slides with time even when nothing happens.
  const tick = useNow(10_000);

  useEffect(() => {
    const ac = new AbortController();
    getTimeline(Math.floor(serverNow() - rangeMs), ac.signal).then(
      (t) => {
        setData(t);
        setError(null);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorText(err));
      },
    );
    return () => ac.abort();
  }, [rangeMs, changes, generation, tick]);

  const c = data?.counters;
  return (
    <section className="view" aria-labelledby="tl-h">
      <div className="view-head">
        <h1 id="tl-h">Timeline</h1>
        <div className="spacer" />
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.ms} type="button" aria-pressed={r.ms === rangeMs} onClick={() => setRangeMs(r.ms)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      {error && <p className="error-text">{error}</p>}
      {c && (
        <dl className="counters">
          <div>
            <dt>Model loads</dt>
            <dd data-testid="counter-loads">{c.loads}</dd>
          </div>
          <div>
            <dt>Time lost to loading</dt>
            <dd data-testid="counter-load-time">{duration(c.load_ms)}</dd>
          </div>
          <div>
            <dt>Loads avoided</dt>
            <dd data-testid="counter-avoided">{c.loads_avoided}</dd>
            <dd className="muted small">first-come-first-served: {c.fcfs_loads} loads</dd>
          </div>
        </dl>
      )}
      {data && (data.segments.length > 0 || data.bars.length > 0) ? (
        <>
          <p className="muted small">
            From just before the first job of the last {RANGES.find((r) => r.ms === rangeMs)?.label} until now. Bands: a model being served
            {severalHosts(snapshot) ? ' on a host' : ''}, hatched while it loaded; bars: jobs (links to their transcripts). Hover or focus
            for details.
          </p>
          <TimelineChart
            data={data}
            now={serverNow()}
            hostOrder={snapshot && severalHosts(snapshot) ? snapshot.hosts.map((h) => h.id) : null}
          />
          <ul className="legend" aria-label="Legend">
            {LEGEND.map(([swatch, label]) => (
              <li key={swatch}>
                <span className={`swatch ${swatch}`} aria-hidden="true" /> {label}
              </li>
            ))}
          </ul>
        </>
      ) : (
        data && <p className="empty">Nothing ran in the last {RANGES.find((r) => r.ms === rangeMs)?.label}.</p>
      )}
      {!data && !error && <p className="muted">Loading…</p>}
    </section>
  );
}
