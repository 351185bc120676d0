/** Fetch helpers for the admin API (`/foreman/*`): same origin, JSON in and out. */
import type { DeliveryDetail, DeliveryRow, JobDetail, JobRow, QueueSnapshot, Timeline } from '../../shared/api.js';
import type { JobSource, JobState } from '../../shared/types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Params = Record<string, string | number | boolean | null | undefined>;

function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(method: 'GET' | 'POST', path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method, signal, headers: { accept: 'application/json' } };
  // The server takes JSON only (a cross-site "simple" POST cannot send it), so even an empty body is `{}`.
  if (method === 'POST') {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = '{}';
  }
  const res = await fetch(url(path, params), init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const msg =
      body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg);
  }
  return body as T;
}

export const getQueue = (signal?: AbortSignal) => request<QueueSnapshot>('GET', '/foreman/queue', undefined, signal);

export interface JobQuery {
  source?: JobSource | '';
  model?: string;
  state?: JobState | '';
  limit?: number;
  cursor?: string | null;
}
export const listJobs = (q: JobQuery, signal?: AbortSignal) =>
  request<{ jobs: JobRow[]; next_cursor: string | null }>('GET', '/foreman/jobs', { ...q }, signal);

export const getJob = (id: string, signal?: AbortSignal) =>
  request<JobDetail>('GET', `/foreman/jobs/${encodeURIComponent(id)}`, undefined, signal);

export const cancelJob = (id: string) => request<{ job: JobRow }>('POST', `/foreman/jobs/${encodeURIComponent(id)}/cancel`);

export const setPaused = (paused: boolean) => request<{ paused: boolean }>('POST', paused ? '/foreman/pause' : '/foreman/resume');

export interface DeliveryQuery {
  failed?: boolean;
  job_id?: string;
  state?: DeliveryRow['state'] | '';
  limit?: number;
  cursor?: string | null;
}
export const listDeliveries = (q: DeliveryQuery, signal?: AbortSignal) =>
  request<{ deliveries: DeliveryRow[]; next_cursor: string | null }>(
    'GET',
    '/foreman/deliveries',
    { ...q, failed: q.failed || undefined },
    signal,
  );

export const getDelivery = (id: string, signal?: AbortSignal) =>
  request<DeliveryDetail>('GET', `/foreman/deliveries/${encodeURIComponent(id)}`, undefined, signal);

export const redeliver = (id: string) => request<unknown>('POST', `/foreman/deliveries/${encodeURIComponent(id)}/redeliver`);

export const getTimeline = (since: number, signal?: AbortSignal) => request<Timeline>('GET', '/foreman/timeline', { since }, signal);

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
