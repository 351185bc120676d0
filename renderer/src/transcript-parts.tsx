/** The transcript's pieces: a message bubble and the final figures (whose speed History shows too). */
import type { ReactNode } from 'react';
import type { JobDetail, JobRow } from '../../shared/api.js';
import { count, duration, durationNs, rate } from './format.js';
import type { Message } from './job-answer.js';
import { jobSpeed } from './job-figures.js';

export function MessageBubble({ m }: { m: Message }) {
  return (
    <div className={`bubble ${m.role}`}>
      <div className="bubble-role">{m.role}</div>
      {m.thinking && (
        <details className="thinking">
          <summary>Thinking</summary>
          <p className="prose">{m.thinking}</p>
        </details>
      )}
      <p className="prose">{m.content || <span className="muted">(empty)</span>}</p>
      {m.images > 0 && (
        <p className="muted small">
          + {m.images} image{m.images === 1 ? '' : 's'}
        </p>
      )}
    </div>
  );
}

/** Tokens per second, "≈" where measured over the run time; the title says how it was measured. */
export function SpeedText({ job }: { job: JobRow }) {
  const speed = jobSpeed(job);
  if (!speed) return <>—</>;
  return (
    <span title={speed.why}>
      {speed.approx ? '≈ ' : ''}
      {rate(speed.tokensPerS)}
    </span>
  );
}

function figure(job: JobDetail, key: 'total_duration' | 'load_duration' | 'prompt_eval_count' | 'eval_count'): number | undefined {
  const own = job[key];
  if (typeof own === 'number') return own;
  const r = job.response;
  if (typeof r !== 'object' || r === null) return undefined;
  const v = (r as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

export function Figures({ job }: { job: JobDetail }) {
  const waited = job.started_at === null ? null : job.started_at - job.created_at;
  const wall = job.finished_at === null ? null : job.finished_at - job.created_at;
  const items: [string, ReactNode][] = [
    ['Load time', durationNs(figure(job, 'load_duration'))],
    ['Prompt tokens', count(figure(job, 'prompt_eval_count'))],
    ['Eval tokens', count(figure(job, 'eval_count'))],
    ['Tokens/s', <SpeedText job={job} />],
    ['Total time', durationNs(figure(job, 'total_duration'))],
    ['Waited in queue', waited === null ? '—' : duration(waited)],
    ['Wall time', wall === null ? '—' : duration(wall)],
  ];
  return (
    <dl className="figures" aria-label="Final figures">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
