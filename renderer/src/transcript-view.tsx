/**
 * One job's transcript (`#/jobs/<id>`): the request, then the answer, streaming in while the job works.
 * Live text = the stored partial from `GET /foreman/jobs/<id>` + the token deltas received after it.
 */
import { useEffect, useState } from 'react';
import type { JobDetail } from '../../shared/api.js';
import { TERMINAL_STATES } from '../../shared/types.js';
import { errorText, getJob, isAbort } from './api.js';
import { CancelButton } from './cancel-button.js';
import { clock, duration, isoTitle, sourceLabel } from './format.js';
import { serverNow, useForemanEvent, useLive } from './live-store.js';
import { useTokens, type TokenText } from './token-buffers.js';
import { findJoin, joinText } from './stream-splice.js';
import { href } from './router.js';
import { useNow } from './use-now.js';
import { Figures, MessageBubble } from './transcript-parts.js';
import { requestMessages, responseAnswer } from './job-answer.js';
import { severalHosts } from './hosts.js';

/** The fetched partial, and per channel where the live buffer joins it once that is known. */
interface Splice {
  partial: TokenText;
  join: { content: number | null; thinking: number | null };
}

/**
 * The streamed text so far: the partial, continued by the live deltas. The join, once found, is kept
 * on the splice (a cache: the same inputs always give the same join).
 */
function liveText(s: Splice | null, live: TokenText | undefined): TokenText {
  const channel = (ch: keyof TokenText): string => {
    const buffer = live?.[ch] ?? '';
    if (!s) return buffer;
    s.join[ch] ??= findJoin(s.partial[ch], buffer);
    return joinText(s.partial[ch], buffer, s.join[ch]);
  };
  return { content: channel('content'), thinking: channel('thinking') };
}

function QueuePosition({ job }: { job: JobDetail }) {
  const { snapshot } = useLive();
  const lane = snapshot?.lanes.find((l) => l.model === job.lane);
  const at = lane ? lane.queued.findIndex((j) => j.id === job.id) : -1;
  return (
    <p className="muted">
      Waiting in the <a href={href.queue()}>{job.lane}</a> lane{at >= 0 ? `, position ${at + 1} of ${lane!.queued.length}` : ''}
      {snapshot?.paused ? ' (the queue is paused)' : ''}.
    </p>
  );
}

export function TranscriptView({ id }: { id: string }) {
  const { generation, snapshot } = useLive();
  const [job, setJob] = useState<JobDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [spliced, setSpliced] = useState<Splice | null>(null);
  const [reload, setReload] = useState(0);
  const live = useTokens(id);

  useEffect(() => {
    const ac = new AbortController();
    getJob(id, ac.signal).then(
      (detail) => {
        setJob(detail);
        setError(null);
        setSpliced({ partial: detail.partial ?? { content: '', thinking: '' }, join: { content: null, thinking: null } });
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorText(err));
      },
    );
    return () => ac.abort();
  }, [id, generation, reload]);

  // A state change (started, finished) brings new data: the request's start, or the stored answer.
  useForemanEvent((e) => {
    if (e.type === 'job' && e.job.id === id && e.job.state !== job?.state) setReload((n) => n + 1);
  });

  if (!job) {
    return (
      <section className="view" aria-labelledby="tx-h">
        <h1 id="tx-h">
          Job <span className="mono">{id}</span>
        </h1>
        <p className={error ? 'error-text' : 'muted'}>{error ?? 'Loading…'}</p>
      </section>
    );
  }

  const done = TERMINAL_STATES.includes(job.state);
  const messages = requestMessages(job.request);
  const final = done ? responseAnswer(job.response) : null;
  const streamed = liveText(spliced, live);
  const text = final ?? { ...streamed, note: null };
  const streaming = job.state === 'working';
  return (
    <section className="view transcript" aria-labelledby="tx-h">
      <div className="view-head">
        <h1 id="tx-h">
          Job <span className="mono">{job.id}</span>
        </h1>
        <span className={`pill ${job.state}`}>{job.state}</span>
        <div className="spacer" />
        {!done && <CancelButton id={job.id} />}
      </div>
      <p className="muted">
        <span className="mono">{job.model}</span> · {job.api} · {sourceLabel(job)}
        {severalHosts(snapshot) && job.host && (
          <>
            {' · on '}
            <span className="mono" data-testid="transcript-host">
              {job.host}
            </span>
          </>
        )}{' '}
        · created <span title={isoTitle(job.created_at)}>{clock(job.created_at)}</span>
        {job.priority !== 0 && ` · priority ${job.priority}`}
        {job.webhook_url && (
          <>
            {' · '}
            <a href={href.deliveries()}>webhook</a> to <span className="mono">{job.webhook_url}</span>
          </>
        )}
      </p>
      {job.state === 'queued' && <QueuePosition job={job} />}
      {job.error && (
        <div className="banner error">
          {job.status_code && job.status_code >= 400 ? `${job.status_code}: ` : ''}
          {job.error}
        </div>
      )}

      <h2>Request</h2>
      {messages ? (
        <div className="messages">
          {messages.map((m, i) => (
            <MessageBubble key={i} m={m} />
          ))}
        </div>
      ) : (
        <pre className="code">{JSON.stringify(job.request, null, 2)}</pre>
      )}

      <h2>Response</h2>
      {text.thinking && (
        <details className="thinking" open={streaming && !text.content}>
          <summary>Thinking{streaming && !text.content ? '…' : ''}</summary>
          <p className="prose">{text.thinking}</p>
        </details>
      )}
      <div className={`bubble assistant${streaming ? ' streaming' : ''}`} aria-busy={streaming}>
        <p className="prose" data-testid="transcript-response">
          {text.content}
          {streaming && <span className="caret" aria-hidden="true" />}
        </p>
        {!streaming && (text.note || !text.content) && (
          <p className="muted small" data-testid="transcript-note">
            {text.note ?? (job.state === 'queued' ? 'Not started yet.' : 'No answer.')}
          </p>
        )}
      </div>
      {streaming && <Elapsed since={job.started_at ?? job.created_at} />}
      {done && <Figures job={job} />}
    </section>
  );
}

function Elapsed({ since }: { since: number }) {
  useNow(1000);
  return <p className="muted small">Generating for {duration(serverNow() - since)}…</p>;
}
