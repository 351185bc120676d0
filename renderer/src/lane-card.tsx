/** One model's lane: residency, waits, an ETA, the running job(s) with live speed, the waiting jobs. */
import { useEffect } from 'react';
import type { JobRow, LaneSnapshot } from '../../shared/api.js';
import { CancelButton } from './cancel-button.js';
import { duration, eta, rate, sourceLabel } from './format.js';
import { serverNow } from './live-store.js';
import { calibrateFromHistory, hasTokens, tokenRate, useTokens } from './token-buffers.js';
import { href } from './router.js';
import { useNow } from './use-now.js';

/** Jobs shown per lane (the list scrolls); the rest are counted (a lane can hold thousands). */
const SHOWN = 100;
/** Assumed answer length until this window has seen jobs of the lane finish. */
const DEFAULT_EVAL_TOKENS = 250;

function laneEta(lane: LaneSnapshot, evalMean: number | undefined): { ms: number; why: string } | null {
  const jobs = lane.queued.length + lane.running.length;
  if (jobs === 0 || !lane.tokens_per_s) return null;
  const tokens = evalMean ?? DEFAULT_EVAL_TOKENS;
  const perJob = (tokens / lane.tokens_per_s) * 1000;
  const load = lane.resident ? 0 : (lane.load_ms ?? 0);
  const ms = load + jobs * perJob;
  const loadWhy = lane.resident ? 'already loaded' : `load ${duration(load)}`;
  return { ms, why: `${loadWhy} + ${jobs} × ~${Math.round(tokens)} tokens at ${lane.tokens_per_s.toFixed(1)} tok/s` };
}

function RunningJob({ job, showHost }: { job: JobRow; showHost: boolean }) {
  const now = useNow(500);
  useEffect(() => calibrateFromHistory(job.lane), [job.lane]);
  const text = useTokens(job.id);
  const speed = tokenRate(job.id, job.lane, now);
  const tail = (text?.content || text?.thinking || '').slice(-140);
  const since = job.started_at ?? job.created_at;
  return (
    <li className="job running" data-testid={`job-${job.id}`}>
      <div className="job-line">
        <span className="job-pos" aria-hidden="true">
          ▶
        </span>
        <JobLink id={job.id} />
        <span className="job-source">
          <span className="pill working">running</span>
          <span className="figure" title="Tokens per second over the last 5 s, estimated from the streamed text">
            {rate(speed)}
          </span>
          <span className={`pill ${job.source}`} title={sourceLabel(job)}>
            {sourceLabel(job)}
          </span>
          {showHost && job.host && (
            <span className="muted small mono job-host" title={`Running on ${job.host}`} data-testid="job-host">
              {job.host}
            </span>
          )}
        </span>
        <span className="job-end">
          <span className="muted job-time" title="Running for">
            {duration(serverNow() - since)}
          </span>
          <CancelButton id={job.id} />
        </span>
      </div>
      {tail && (
        <p className="stream-tail" aria-hidden="true">
          {text?.content ? '' : '💭 '}
          {tail}
        </p>
      )}
    </li>
  );
}

/** The job's id, cut with an ellipsis where the card is narrow (the whole id on hover). */
function JobLink({ id }: { id: string }) {
  return (
    <a href={href.job(id)} className="mono job-id" title={id}>
      {id}
    </a>
  );
}

function QueuedJob({ job, position }: { job: JobRow; position: number }) {
  return (
    <li className="job" data-testid={`job-${job.id}`}>
      <div className="job-line">
        <span className="job-pos muted" aria-label={`position ${position}`}>
          {position}
        </span>
        <JobLink id={job.id} />
        <span className="job-source">
          <span className={`pill ${job.source}`} title={sourceLabel(job)}>
            {sourceLabel(job)}
          </span>
          {job.priority !== 0 && <span className="muted small">priority {job.priority}</span>}
        </span>
        <span className="job-end">
          <span className="muted job-time" title="Waiting for">
            {duration(serverNow() - job.created_at)}
          </span>
          <CancelButton id={job.id} />
        </span>
      </div>
    </li>
  );
}

/** Ollama's `/api/ps` (as of the last snapshot), corrected by what is visibly happening now. */
function Residency({ lane, heldOn }: { lane: LaneSnapshot; heldOn: readonly string[] | null }) {
  const streaming = lane.running.some((j) => hasTokens(j.id));
  if (lane.resident || streaming) {
    return (
      <span className="badge resident" title={`Ollama holds this model in memory${heldOn?.length ? ` on ${heldOn.join(', ')}` : ''}`}>
        resident
      </span>
    );
  }
  if (lane.running.length > 0) {
    return (
      <span className="badge loading" title="Ollama is loading this model for the running job">
        loading…
      </span>
    );
  }
  return (
    <span className="badge cold" title="Not in memory: the next job here loads it first">
      not loaded
    </span>
  );
}

/** `heldOn`: with several hosts, those holding this runner now (null with one host: naming it is noise). */
export function LaneCard({
  lane,
  evalMean,
  heldOn,
}: {
  lane: LaneSnapshot;
  evalMean: number | undefined;
  heldOn: readonly string[] | null;
}) {
  useNow(1000);
  const headingId = `lane-h-${lane.model}`;
  const estimate = laneEta(lane, evalMean);
  const idle = lane.queued.length === 0 && lane.running.length === 0;
  // "current" also means "served last"; it only deserves attention while the lane has work.
  const serving = lane.running.length > 0;
  const next = !serving && lane.current && lane.queued.length > 0;
  return (
    <section
      className={`lane${serving ? ' current' : ''}${idle ? ' idle' : ''}`}
      data-testid={`lane-${lane.model}`}
      aria-labelledby={headingId}
    >
      <header className="lane-head">
        <h2 id={headingId} className="mono">
          {lane.model}
        </h2>
        <Residency lane={lane} heldOn={heldOn} />
        {serving && <span className="badge current">serving</span>}
        {next && (
          <span className="badge" title="Served last: its queued jobs go next, unless another lane waited too long">
            next
          </span>
        )}
      </header>
      <dl className="lane-figures">
        <div>
          <dt>Queued</dt>
          <dd>{lane.queued.length.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Oldest wait</dt>
          <dd>{lane.oldest_at === null ? '—' : duration(serverNow() - lane.oldest_at)}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd title={estimate?.why ?? 'Unknown until a job of this model has run'}>{estimate ? eta(estimate.ms) : '—'}</dd>
        </div>
        <div>
          <dt>Load</dt>
          <dd>{lane.load_ms === null ? '—' : duration(lane.load_ms)}</dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd>{rate(lane.tokens_per_s)}</dd>
        </div>
      </dl>
      {idle ? (
        <p className="muted small">Idle.</p>
      ) : (
        <ol className="job-list" aria-label={`${lane.model} jobs`}>
          {lane.running.map((j) => (
            <RunningJob key={j.id} job={j} showHost={heldOn !== null} />
          ))}
          {lane.queued.slice(0, SHOWN).map((j, i) => (
            <QueuedJob key={j.id} job={j} position={i + 1} />
          ))}
        </ol>
      )}
      {lane.queued.length > SHOWN && <p className="muted small more">and {(lane.queued.length - SHOWN).toLocaleString()} more waiting</p>}
    </section>
  );
}
