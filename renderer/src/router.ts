/** Hash routes (`#/jobs/<id>`): they work the same from `/ui/` in a browser and in the Electron window. */
import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'queue' }
  | { name: 'transcript'; id: string }
  | { name: 'deliveries'; id: string | null }
  | { name: 'timeline' }
  | { name: 'history' }
  | { name: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, arg] = parts;
  if (parts.length === 0) return { name: 'queue' };
  if (head === 'jobs' && arg && parts.length === 2) return { name: 'transcript', id: arg };
  if (head === 'deliveries' && parts.length <= 2) return { name: 'deliveries', id: arg ?? null };
  if (head === 'timeline' && parts.length === 1) return { name: 'timeline' };
  if (head === 'history' && parts.length === 1) return { name: 'history' };
  return { name: 'not-found', path };
}

export const href = {
  queue: () => '#/',
  job: (id: string) => `#/jobs/${encodeURIComponent(id)}`,
  deliveries: (id?: string) => (id ? `#/deliveries/${encodeURIComponent(id)}` : '#/deliveries'),
  timeline: () => '#/timeline',
  history: () => '#/history',
};

function subscribe(l: () => void): () => void {
  window.addEventListener('hashchange', l);
  return () => window.removeEventListener('hashchange', l);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
