/**
 * The hosts above the lanes, with several Ollama hosts: each one's state (down: since when and why),
 * the requests it is running and its memory strip. Kept current by the `memory` event alone.
 */
import type { HostRow } from '../../shared/api.js';
import { hostStatus } from './hosts.js';
import { serverNow } from './live-store.js';
import { MemoryStrip } from './memory-strip.js';
import { useNow } from './use-now.js';

function Host({ host }: { host: HostRow }) {
  const status = hostStatus(host, serverNow());
  return (
    <li className={`host ${host.state}`} data-testid={`host-${host.id}`} data-state={host.state} aria-label={`${host.id}: ${status.text}`}>
      <div className="host-info">
        <div className="host-name">
          <strong className="mono" title={host.url}>
            {host.id}
          </strong>
          <span className={`badge host-${host.state}`} data-testid="host-badge">
            {status.label}
          </span>
        </div>
        {status.reason && (
          <p className="host-reason small" title={status.reason} data-testid="host-reason">
            {status.reason}
          </p>
        )}
        <p className="muted small" data-testid="host-running">
          {host.running > 0 ? `${host.running.toLocaleString()} running` : 'nothing running'}
        </p>
      </div>
      <MemoryStrip memory={host.memory} compact label={`GPU memory of ${host.id}`} />
    </li>
  );
}

export function HostRows({ hosts }: { hosts: readonly HostRow[] }) {
  // Ages of down hosts tick; their state changes come with the memory event.
  useNow(1000);
  const up = hosts.filter((h) => h.state !== 'down').length;
  return (
    <section className="hosts" aria-labelledby="hosts-h">
      <div className="hosts-head">
        <h2 id="hosts-h">Hosts</h2>
        <span className="muted small">
          {up} of {hosts.length} taking work
        </span>
      </div>
      <ul className="host-list">
        {hosts.map((h) => (
          <Host key={h.id} host={h} />
        ))}
      </ul>
    </section>
  );
}
