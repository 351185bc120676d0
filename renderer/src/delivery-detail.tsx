/** One webhook delivery: what was sent, every attempt's answer, and a way to send it again. */
import { useEffect, useState } from 'react';
import type { DeliveryAttemptRow, DeliveryDetail as Detail } from '../../shared/api.js';
import { ApiError, errorText, getDelivery, isAbort, redeliver } from './api.js';
import { clock, duration, isoTitle } from './format.js';
import { href } from './router.js';

function statusClass(status: number | null): string {
  if (status === null) return 'bad';
  return status >= 200 && status < 300 ? 'good' : 'bad';
}

function Attempt({ a, open }: { a: DeliveryAttemptRow; open: boolean }) {
  return (
    <details className="attempt" open={open}>
      <summary>
        <span className={`status ${statusClass(a.status)}`}>{a.status ?? a.error_class ?? 'error'}</span>
        <span>Attempt {a.attempt}</span>
        {a.redelivery && <span className="badge">redelivery</span>}
        <span className="muted" title={isoTitle(a.started_at)}>
          {clock(a.started_at)}
        </span>
        <span className="muted">{duration(a.duration_ms)}</span>
      </summary>
      {a.error && (
        <p className="error-text">
          {a.error_class ? <strong>{a.error_class}: </strong> : null}
          {a.error}
        </p>
      )}
      {a.next_attempt_at && (
        <p className="muted small">
          Next attempt <span title={isoTitle(a.next_attempt_at)}>{clock(a.next_attempt_at)}</span>
        </p>
      )}
      <h4>Request headers</h4>
      <table className="headers">
        <tbody>
          {Object.entries(a.request_headers).map(([k, v]) => (
            <tr key={k}>
              <th scope="row" className="mono">
                {k}
              </th>
              <td className="mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Response body</h4>
      {a.response_body ? <pre className="code">{a.response_body}</pre> : <p className="muted small">(none)</p>}
    </details>
  );
}

export function DeliveryDetail({ id, version }: { id: string; version: number }) {
  const [d, setD] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    getDelivery(id, ac.signal).then(
      (detail) => {
        setD(detail);
        setError(null);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorText(err));
      },
    );
    return () => ac.abort();
  }, [id, version, reload]);

  async function send() {
    setBusy(true);
    setNote(null);
    try {
      await redeliver(id);
      setNote({ ok: true, text: 'Queued for redelivery.' });
      setReload((n) => n + 1);
    } catch (err) {
      setNote({ ok: false, text: err instanceof ApiError && err.status === 409 ? `Not yet: ${err.message}` : errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  if (!d) return <div className="detail">{error ? <p className="error-text">{error}</p> : <p className="muted">Loading…</p>}</div>;
  const attempts = [...d.attempts].sort((a, b) => b.attempt - a.attempt);
  return (
    <div className="detail" aria-labelledby="dd-h">
      <div className="view-head">
        <h2 id="dd-h">
          <span className="mono">{d.type}</span> delivery
        </h2>
        <span className={`pill ${d.state}`}>{d.waiting_for ? 'waiting' : d.state}</span>
        <div className="spacer" />
        <button
          type="button"
          className="primary"
          disabled={busy}
          title={d.state === 'pending' ? 'Send the next retry now instead of waiting' : 'Send this event again now'}
          onClick={() => void send()}
        >
          Redeliver
        </button>
        <a className="button" href={href.deliveries()} aria-label="Close delivery detail">
          ✕
        </a>
      </div>
      {note && (
        <p className={note.ok ? 'muted' : 'error-text'} role="status">
          {note.text}
        </p>
      )}
      <dl className="kv">
        <dt>Job</dt>
        <dd>
          <a className="mono" href={href.job(d.job_id)}>
            {d.job_id}
          </a>
        </dd>
        <dt>URL</dt>
        <dd className="mono">{d.url}</dd>
        <dt>webhook-id</dt>
        <dd className="mono">{d.webhook_id}</dd>
        <dt>Created</dt>
        <dd title={isoTitle(d.created_at)}>{clock(d.created_at)}</dd>
        {d.waiting_for ? (
          <>
            <dt>Waits for</dt>
            <dd>
              <a className="mono" href={href.deliveries(d.waiting_for.id)}>
                {d.waiting_for.type}
              </a>{' '}
              of the same job (webhooks of a job go in order)
              {d.waiting_for.next_attempt_at && <>, retried at {clock(d.waiting_for.next_attempt_at)}</>}
            </dd>
          </>
        ) : (
          d.next_attempt_at && (
            <>
              <dt>Next retry</dt>
              <dd title={isoTitle(d.next_attempt_at)}>{clock(d.next_attempt_at)}</dd>
            </>
          )
        )}
      </dl>
      <h3>Payload</h3>
      <pre className="code">{typeof d.payload === 'string' ? d.payload : JSON.stringify(d.payload, null, 2)}</pre>
      <h3>Attempts ({attempts.length})</h3>
      {attempts.length === 0 ? (
        <p className="muted small">Not attempted yet.</p>
      ) : (
        attempts.map((a, i) => <Attempt key={`${a.attempt}-${a.started_at}`} a={a} open={i === 0} />)
      )}
    </div>
  );
}
