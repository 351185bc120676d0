/** `#/history`: finished jobs, newest first, filtered; pages fetched with the cursor as you scroll. */
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import type { JobRow } from '../../shared/api.js';
import { TERMINAL_STATES, type JobSource, type JobState } from '../../shared/types.js';
import { errorText, listJobs } from './api.js';
import { clock, count, duration, isoTitle, sourceLabel } from './format.js';
import { jobTokens } from './job-figures.js';
import { SpeedText } from './transcript-parts.js';
import { useForemanEvent, useLive } from './live-store.js';
import { href } from './router.js';
import { VirtualList } from './virtual-list.js';
import { severalHosts } from './hosts.js';

const ROW_HEIGHT = 36;
const PAGE = 500;
/** Rows kept in memory; past it, narrowing the filters finds older jobs. */
const CAP = 20_000;
/** Fetch the next page when the view comes this close to the last loaded row. */
const AHEAD = 300;

interface Filters {
  model: string;
  state: JobState | '';
  source: JobSource | '';
}

function matches(job: JobRow, f: Filters): boolean {
  if (!TERMINAL_STATES.includes(job.state)) return false;
  if (f.state && job.state !== f.state) return false;
  if (f.source && job.source !== f.source) return false;
  return !f.model || job.lane === f.model || job.model === f.model;
}

/** `showHost`: a Host column, with several hosts. */
function Row({ job, index, style, showHost }: { job: JobRow; index: number; style: CSSProperties; showHost: boolean }) {
  const wall = job.finished_at === null ? null : job.finished_at - job.created_at;
  return (
    <div
      className={showHost ? 'hrow with-host' : 'hrow'}
      role="row"
      aria-rowindex={index + 2}
      style={style}
      data-testid={`history-${job.id}`}
    >
      <span role="cell" title={isoTitle(job.created_at)}>
        {clock(job.created_at)}
      </span>
      <span role="cell">
        <a className="mono" href={href.job(job.id)}>
          {job.id}
        </a>
      </span>
      <span role="cell" className="ellipsis" title={job.lane}>
        <span className="mono">{job.model}</span>
      </span>
      {showHost && (
        <span role="cell" className="ellipsis mono" title={job.host ?? undefined} data-testid="history-host">
          {job.host ?? '—'}
        </span>
      )}
      <span role="cell" className="ellipsis">
        {sourceLabel(job)}
      </span>
      <span role="cell">
        <span className={`pill ${job.state}`}>{job.state}</span>
      </span>
      <span role="cell" className="num">
        {wall === null ? '—' : duration(wall)}
      </span>
      <span role="cell" className="num">
        {count(jobTokens(job))}
      </span>
      <span role="cell" className="num">
        <SpeedText job={job} />
      </span>
    </div>
  );
}

export function HistoryView() {
  const { snapshot, generation } = useLive();
  const [filters, setFilters] = useState<Filters>({ model: '', state: '', source: '' });
  const [rows, setRows] = useState<JobRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [newer, setNewer] = useState(0);
  const [reset, setReset] = useState(0);
  const loading = useRef(false);
  const wanted = useRef(0);
  /** Bumped on every filter change or reset, so a late page for old filters is dropped. */
  const epoch = useRef(0);

  const fetchPage = useCallback(
    async (from: string | null) => {
      if (loading.current) return;
      loading.current = true;
      const my = epoch.current;
      try {
        const page = await listJobs({ ...filters, limit: PAGE, cursor: from });
        if (my !== epoch.current) return;
        setRows((old) => [...old, ...page.jobs.filter((j) => matches(j, filters))].slice(0, CAP));
        setCursor(page.next_cursor);
        setDone(page.next_cursor === null);
        setError(null);
      } catch (err) {
        if (my === epoch.current) setError(errorText(err));
      } finally {
        if (my === epoch.current) loading.current = false;
      }
    },
    [filters],
  );

  useEffect(() => {
    epoch.current++;
    loading.current = false;
    setRows([]);
    setCursor(null);
    setDone(false);
    setNewer(0);
    void fetchPage(null);
  }, [fetchPage, reset, generation]);

  // Keep fetching while the view is near the end of what is loaded (a page may be all filtered out).
  useEffect(() => {
    if (!done && cursor && rows.length < CAP && wanted.current + AHEAD >= rows.length) void fetchPage(cursor);
  }, [cursor, done, rows.length, fetchPage]);

  const onRange = useCallback(
    (_first: number, last: number) => {
      wanted.current = last;
      if (!done && cursor && rows.length < CAP && last + AHEAD >= rows.length) void fetchPage(cursor);
    },
    [cursor, done, rows.length, fetchPage],
  );

  const loaded = useMemo(() => new Set(rows.map((r) => r.id)), [rows]);
  useForemanEvent((e) => {
    if (e.type === 'job' && matches(e.job, filters) && !loaded.has(e.job.id)) setNewer((n) => n + 1);
  });

  const models = [...new Set([...(snapshot?.lanes.map((l) => l.model) ?? []), ...rows.slice(0, 2000).map((r) => r.lane)])].sort();
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const showHost = severalHosts(snapshot);
  const columns = ['Created', 'Job', 'Model', ...(showHost ? ['Host'] : []), 'Source', 'State', 'Time', 'Tokens', 'Speed'];
  return (
    <section className="view history" aria-labelledby="hist-h">
      <div className="view-head">
        <h1 id="hist-h">History</h1>
        <p className="muted" aria-live="polite">
          {rows.length.toLocaleString()} {rows.length === 1 ? 'job' : 'jobs'}
          {done
            ? ''
            : rows.length >= CAP
              ? ` (the newest ${CAP.toLocaleString()}; narrow the filters for older ones)`
              : ', more as you scroll'}
        </p>
        <div className="spacer" />
        {newer > 0 && (
          <button type="button" onClick={() => setReset((n) => n + 1)}>
            Show {newer} newer
          </button>
        )}
      </div>
      <div className="filters">
        <label>
          Model
          <select value={filters.model} onChange={(e) => set('model', e.target.value)}>
            <option value="">All models</option>
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={filters.state} onChange={(e) => set('state', e.target.value as Filters['state'])}>
            <option value="">All finished</option>
            {TERMINAL_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select value={filters.source} onChange={(e) => set('source', e.target.value as Filters['source'])}>
            <option value="">All sources</option>
            <option value="passthrough">Passthrough clients</option>
            <option value="jobs">/jobs</option>
          </select>
        </label>
      </div>
      {error && <p className="error-text">{error}</p>}
      <VirtualList
        className="history-list"
        ariaLabel="Finished jobs"
        count={rows.length}
        rowHeight={ROW_HEIGHT}
        onRange={onRange}
        header={
          <div className={showHost ? 'hrow head with-host' : 'hrow head'} role="row" aria-rowindex={1}>
            {columns.map((h) => (
              <span key={h} role="columnheader" className={['Time', 'Tokens', 'Speed'].includes(h) ? 'num' : undefined}>
                {h}
              </span>
            ))}
          </div>
        }
        renderRow={(i, style) => <Row key={rows[i]!.id} job={rows[i]!} index={i} style={style} showHost={showHost} />}
      />
      {rows.length === 0 && done && !error && <p className="empty">No finished jobs match.</p>}
    </section>
  );
}
