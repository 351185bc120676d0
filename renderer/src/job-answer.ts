/**
 * Reading a job's request and stored answer, whichever route they came in: Ollama's native shapes,
 * OpenAI's chat and text completions, the Responses API, embeddings, and the summary foreman keeps of
 * a `/v1` SSE stream (`{content, thinking?, finish_reason, usage}`, see main/ollama/transcript.ts).
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

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
    const out = inputs.map((i) =>
      isObj(i) && i.role !== undefined ? msg(str(i.role) ?? 'user', contentText(i.content)) : msg('input', contentText(i)),
    );
    return str(request.instructions) ? [msg('system', str(request.instructions)!), ...out] : out;
  }
  return null;
}

export interface Answer {
  content: string;
  thinking: string;
  /** What the answer holds besides text (embeddings, tool calls), in a few words. */
  note: string | null;
}

/** "Called get_weather, get_time" for tool calls in any of the shapes, or null. */
function toolNote(calls: Obj[]): string | null {
  const names = calls.map((c) => str(c.name) ?? (isObj(c.function) ? str(c.function.name) : null) ?? 'a tool');
  return names.length ? `Called ${names.join(', ')}` : null;
}

/** The Responses API: message items carry the text, reasoning items the thinking. */
function responsesAnswer(output: Obj[]): Answer {
  const parts = (item: Obj, key: string) => objs(item[key]).map((p) => str(p.text) ?? '');
  const content = output.filter((o) => o.type === 'message').flatMap((o) => parts(o, 'content'));
  const thinking = output.filter((o) => o.type === 'reasoning').flatMap((o) => [...parts(o, 'summary'), ...parts(o, 'content')]);
  return { content: content.join(''), thinking: thinking.join(''), note: toolNote(output.filter((o) => o.type === 'function_call')) };
}

function embeddingsNote(vectors: unknown[]): string {
  const first = vectors[0];
  // OpenAI's `encoding_format: "base64"` sends little-endian float32s.
  const dims = Array.isArray(first)
    ? first.length
    : typeof first === 'string'
      ? Math.floor((first.replace(/=+$/, '').length * 3) / 4 / 4)
      : 0;
  return `${vectors.length} embedding${vectors.length === 1 ? '' : 's'} of ${dims} dimensions`;
}

export function responseAnswer(response: unknown): Answer | null {
  if (!isObj(response)) return typeof response === 'string' ? { content: response, thinking: '', note: null } : null;
  if (isObj(response.message)) {
    const m = response.message;
    return { content: contentText(m.content), thinking: str(m.thinking) ?? '', note: toolNote(objs(m.tool_calls)) };
  }
  if (typeof response.response === 'string')
    return { content: response.response, thinking: str(response.thinking) ?? '', note: toolNote(objs(response.tool_calls)) };
  if (Array.isArray(response.choices) && isObj(response.choices[0])) {
    const c = response.choices[0];
    const m = isObj(c.message) ? c.message : null;
    const thinking = m ? (str(m.reasoning) ?? str(m.reasoning_content) ?? '') : '';
    return { content: m ? contentText(m.content) : (str(c.text) ?? ''), thinking, note: m ? toolNote(objs(m.tool_calls)) : null };
  }
  if (response.object === 'response' && Array.isArray(response.output)) return responsesAnswer(objs(response.output));
  // foreman's summary of a /v1 stream.
  if (typeof response.content === 'string' && 'finish_reason' in response)
    return { content: response.content, thinking: str(response.thinking) ?? '', note: null };
  const vectors = Array.isArray(response.embeddings)
    ? response.embeddings
    : Array.isArray(response.embedding)
      ? [response.embedding]
      : response.object === 'list' && Array.isArray(response.data)
        ? objs(response.data).map((d) => d.embedding)
        : null;
  if (vectors) return { content: '', thinking: '', note: embeddingsNote(vectors) };
  return null;
}
