/** Reading a job's request and answer, whichever API shape (Ollama or OpenAI) they came in. */
import type { JobDetail } from '../../shared/api.js';
import { count, duration, durationNs, rate, tokensPerSecond } from './format.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Message content as text: a string, or OpenAI's array of parts. */
function contentText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((p) => (isObj(p) ? (str(p.text) ?? (p.type ? `[${String(p.type)}]` : '')) : String(p))).join('\n');
  return v === undefined || v === null ? '' : JSON.stringify(v);
}

export interface Message {
  role: string;
  content: string;
  thinking: string;
  images: number;
}

export function requestMessages(request: unknown): Message[] | null {
  if (!isObj(request)) return null;
  const msg = (role: string, content: string): Message => ({ role, content, thinking: '', images: 0 });
  if (Array.isArray(request.messages)) {
    const out = request.messages.filter(isObj).map((m) => ({
      role: str(m.role) ?? 'user',
      content: contentText(m.content),
      thinking: str(m.thinking) ?? '',
      images: Array.isArray(m.images) ? m.images.length : 0,
    }));
    return str(request.system) ? [msg('system', str(request.system)!), ...out] : out;
  }
  const prompt = str(request.prompt);
  if (prompt !== null) {
    const out = [msg('user', prompt)];
    if (str(request.system)) out.unshift(msg('system', str(request.system)!));
    return out;
  }
  if (request.input !== undefined) {
    const inputs = Array.isArray(request.input) ? request.input : [request.input];
    return inputs.map((i) => msg('input', contentText(i)));
  }
  return null;
}

export interface Answer {
  content: string;
  thinking: string;
  /** For embeddings: a summary instead of text. */
  note: string | null;
}

export function responseAnswer(response: unknown): Answer | null {
  if (!isObj(response)) return typeof response === 'string' ? { content: response, thinking: '', note: null } : null;
  if (isObj(response.message)) {
    return { content: contentText(response.message.content), thinking: str(response.message.thinking) ?? '', note: null };
  }
  if (typeof response.response === 'string') return { content: response.response, thinking: str(response.thinking) ?? '', note: null };
  if (Array.isArray(response.choices) && isObj(response.choices[0])) {
    const c = response.choices[0];
    const m = isObj(c.message) ? c.message : null;
    const thinking = m ? (str(m.reasoning) ?? str(m.reasoning_content) ?? '') : '';
    return { content: m ? contentText(m.content) : (str(c.text) ?? ''), thinking, note: null };
  }
  const vectors = Array.isArray(response.embeddings) ? response.embeddings : Array.isArray(response.embedding) ? [response.embedding] : null;
  if (vectors) {
    const dims = Array.isArray(vectors[0]) ? vectors[0].length : 0;
    return { content: '', thinking: '', note: `${vectors.length} embedding${vectors.length === 1 ? '' : 's'} of ${dims} dimensions` };
  }
  return null;
}

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
      {m.images > 0 && <p className="muted small">+ {m.images} image{m.images === 1 ? '' : 's'}</p>}
    </div>
  );
}

function figure(job: JobDetail, key: 'total_duration' | 'load_duration' | 'prompt_eval_count' | 'eval_count' | 'eval_duration'): number | undefined {
  const own = job[key];
  if (typeof own === 'number') return own;
  const r = job.response;
  return isObj(r) && typeof r[key] === 'number' ? (r[key] as number) : undefined;
}

export function Figures({ job }: { job: JobDetail }) {
  const evalCount = figure(job, 'eval_count');
  const tps = tokensPerSecond(evalCount, figure(job, 'eval_duration'));
  const waited = job.started_at === null ? null : job.started_at - job.created_at;
  const wall = job.finished_at === null ? null : job.finished_at - job.created_at;
  const items: [string, string][] = [
    ['Load time', durationNs(figure(job, 'load_duration'))],
    ['Prompt tokens', count(figure(job, 'prompt_eval_count'))],
    ['Eval tokens', count(evalCount)],
    ['Tokens/s', rate(tps)],
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
