/** The webhook log (`#/deliveries`), like GitHub's "Recent Deliveries": newest first, live, with detail. */
import { useEffect, useRef, useState } from 'react';
import type { DeliveryRow } from '../../shared/api.js';
import { errorText, isAbort, listDeliveries } from './api.js';
import { DeliveryDetail } from './delivery-detail.js';
import { isFailure, upsertDelivery, waitText } from './delivery-rows.js';
import { clock, isoTitle } from './format.js';
import { useForemanEvent, useLive } from './live-store.js';
import { href } from './router.js';

const PAGE = 100;

/** The state pill; a delivery waiting behind an earlier one of its job says which, and when that goes. */
function DeliveryState({ d }: { d: DeliveryRow }) {
  const wait = waitText(d);
  if (!wait) return <span className={`pill ${d.state}`}>{d.state}</span>;
  return (
    <span
      title={`A job's webhooks go in order: this one is sent once ${d.waiting_for!.type} (${d.waiting_for!.id}) is delivered or given up`}
    >
      <span className="pill pending">waiting</span>
      <span className="wait-note">{wait}</span>
    </span>
  );
}

export function DeliveriesView({ selected }: { selected: string | null }) {
  const { generation } = useLive();
  const [failedOnly, setFailedOnly] = useState(false);
  const [rows, setRows] = useState<DeliveryRow[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [detailVersion, setDetailVersion] = useState(0);
  const detailTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    listDeliveries({ failed: failedOnly, limit: PAGE }, ac.signal).then(
      (page) => {
        setRows(page.deliveries);
        setCursor(page.next_cursor);
        setError(null);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorText(err));
      },
    );
    return () => ac.abort();
  }, [failedOnly, generation]);

  useEffect(
    () => () => {
      if (detailTimer.current) clearTimeout(detailTimer.current);
    },
    [],
  );

  useForemanEvent((e) => {
    if (e.type !== 'delivery') return;
    setRows((old) => (old ? upsertDelivery(old, e.delivery, !failedOnly || isFailure(e.delivery)) : old));
    // The open detail refetches (attempts changed), at most a few times a second.
    if (e.delivery.id === selected && !detailTimer.current) {
      detailTimer.current = setTimeout(() => {
        detailTimer.current = null;
        setDetailVersion((n) => n + 1);
      }, 300);
    }
  });

  async function more() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await listDeliveries({ failed: failedOnly, limit: PAGE, cursor });
      setRows((old) => [...(old ?? []), ...page.deliveries.filter((d) => !old?.some((o) => o.id === d.id))]);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section className="view" aria-labelledby="dl-h">
      <div className="view-head">
        <h1 id="dl-h">Deliveries</h1>
        <p className="muted">Webhooks sent for /jobs, newest first.</p>
        <div className="spacer" />
        <label className="check">
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> Failures only
        </label>
      </div>
      {error && <p className="error-text">{error}</p>}
      <div className={`split${selected ? ' has-detail' : ''}`}>
        <div className="table-wrap">
          <table className="deliveries">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Job</th>
                <th scope="col">Event</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Status</th>
                <th scope="col">State</th>
                <th scope="col" className="opt">
                  Error
                </th>
                <th scope="col" className="opt">
                  Next retry
                </th>
              </tr>
            </thead>
            <tbody>
              {rows?.map((d) => (
                <tr
                  key={d.id}
                  data-testid={`delivery-${d.id}`}
                  className={d.id === selected ? 'selected' : undefined}
                  onClick={(e) => {
                    if (!(e.target as Element).closest('a')) window.location.hash = href.deliveries(d.id);
                  }}
                >
                  <td>
                    <a href={href.deliveries(d.id)} title={isoTitle(d.created_at)} aria-current={d.id === selected ? 'true' : undefined}>
                      {clock(d.created_at)}
                    </a>
                  </td>
                  <td>
                    <a className="mono" href={href.job(d.job_id)}>
                      {d.job_id}
                    </a>
                  </td>
                  <td className="mono">
                    {d.type}
                    {d.redelivery && <span className="badge">redelivery</span>}
                  </td>
                  <td className="num">{d.attempt_count}</td>
                  <td>
                    {d.last_status !== null ? (
                      <span className={`status ${d.last_status < 300 ? 'good' : 'bad'}`}>{d.last_status}</span>
                    ) : d.last_error ? (
                      <span className="status bad" title={d.last_error}>
                        error
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <DeliveryState d={d} />
                  </td>
                  <td className="error-cell opt" title={d.last_error ?? undefined}>
                    {d.last_error ?? ''}
                  </td>
                  <td className="opt" title={isoTitle(d.next_attempt_at)}>
                    {d.next_attempt_at && !d.waiting_for ? clock(d.next_attempt_at) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows === null && !error && <p className="muted">Loading…</p>}
          {rows?.length === 0 && (
            <p className="empty">
              {failedOnly ? 'No failed deliveries.' : 'No deliveries yet. Jobs submitted to /jobs with a webhook URL show up here.'}
            </p>
          )}
          {cursor && (
            <button type="button" disabled={loadingMore} onClick={() => void more()}>
              Load older
            </button>
          )}
        </div>
        {selected && <DeliveryDetail key={selected} id={selected} version={detailVersion} />}
      </div>
    </section>
  );
}
