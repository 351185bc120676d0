/** How an attempt went, in the few words the delivery log and the retry policy need. */
import { UrlPolicyError } from './url-policy.js';

export type ErrorClass =
  | 'timeout'
  | 'connect_refused'
  | 'dns'
  | 'connection_reset'
  | 'forbidden_address'
  | 'network'
  | 'redirect'
  | 'invalid_status'
  | 'gone'
  | 'endpoint_disabled';

const BY_CODE: Record<string, ErrorClass> = {
  EFORBIDDEN: 'forbidden_address',
  WEBHOOK_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'connect_refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  // undici's "other side closed": the receiver hung up without an answer.
  UND_ERR_SOCKET: 'connection_reset',
};

/** Error codes of an error, its cause, and the members of an AggregateError (happy eyeballs). */
function codes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 3) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === 'string' ? [e.code] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => codes(x, depth + 1)) : [];
  return [...own, ...codes(e.cause, depth + 1), ...nested];
}

export function classifyError(err: unknown): ErrorClass {
  if (err instanceof UrlPolicyError && (err as NodeJS.ErrnoException).code !== 'ENOTFOUND') return 'forbidden_address';
  for (const code of codes(err)) {
    const cls = BY_CODE[code];
    if (cls) return cls;
  }
  return 'network';
}

/** null for success (2xx); otherwise why the status is a failure. */
export function classifyStatus(status: number): ErrorClass | null {
  if (status >= 200 && status < 300) return null;
  if (status === 410) return 'gone';
  if (status >= 300 && status < 400) return 'redirect';
  return 'invalid_status';
}
