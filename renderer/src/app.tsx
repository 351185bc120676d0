/** The shell: header with the nav and the connection status, then the routed view. */
import { useEffect, useRef } from 'react';
import { useLive, type Connection } from './live-store.js';
import type { OllamaStatus } from '../../shared/api.js';
import { href, useRoute, type Route } from './router.js';
import { QueueView } from './queue-view.js';
import { TranscriptView } from './transcript-view.js';
import { DeliveriesView } from './deliveries-view.js';
import { TimelineView } from './timeline-view.js';
import { HistoryView } from './history-view.js';
import { upstreamTrouble } from './hosts.js';

const NAV: { label: string; to: string; match: Route['name'][] }[] = [
  { label: 'Queue', to: href.queue(), match: ['queue'] },
  { label: 'Timeline', to: href.timeline(), match: ['timeline'] },
  { label: 'Deliveries', to: href.deliveries(), match: ['deliveries'] },
  { label: 'History', to: href.history(), match: ['history'] },
];

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

/** What the supervisor says about the Ollama it keeps alive, when that is news. */
const OLLAMA_TEXT: Partial<Record<OllamaStatus, string>> = {
  checking: 'checking Ollama…',
  starting: 'starting Ollama…',
  crashed: 'Ollama crashed',
  restarting: 'restarting Ollama…',
  'not-found': 'Ollama not found',
  stopped: 'Ollama stopped',
};

function ConnectionStatus() {
  const { connection, snapshot } = useLive();
  const trouble = connection === 'live' && snapshot ? upstreamTrouble(snapshot) : null;
  const managed = connection === 'live' && snapshot?.ollama.managed ? OLLAMA_TEXT[snapshot.ollama.status] : undefined;
  const text = managed ?? trouble?.text ?? CONNECTION_TEXT[connection];
  return (
    <div
      className="connection"
      data-state={managed ? 'down' : (trouble?.state ?? connection)}
      role="status"
      aria-live="polite"
      title={snapshot?.ollama.message}
    >
      <span className="dot" aria-hidden="true" />
      {text}
    </div>
  );
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case 'queue':
      return <QueueView />;
    case 'transcript':
      return <TranscriptView key={route.id} id={route.id} />;
    case 'deliveries':
      return <DeliveriesView selected={route.id} />;
    case 'timeline':
      return <TimelineView />;
    case 'history':
      return <HistoryView />;
    case 'not-found':
      return (
        <section className="view">
          <h1>Not found</h1>
          <p>
            Nothing at <code>{route.path}</code>. <a href={href.queue()}>Back to the queue</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const route = useRoute();
  const { connection } = useLive();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // Move focus to the new view on navigation, so keyboard and screen reader users land on it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route.name]);
  return (
    <>
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault(); // the hash is the route
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">foreman</span>
        <nav aria-label="Views">
          <ul>
            {NAV.map((n) => (
              <li key={n.label}>
                <a href={n.to} aria-current={n.match.includes(route.name) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <ConnectionStatus />
      </header>
      <main id="main" ref={main} tabIndex={-1} className={connection === 'reconnecting' ? 'stale' : undefined}>
        <View route={route} />
      </main>
    </>
  );
}
