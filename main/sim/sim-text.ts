/**
 * Deterministic "model output": the same prompt always gives the same words, so tests and
 * benchmarks can compare answers. Also the test markers a prompt may carry, token estimates,
 * and embedding vectors serialised the way Go prints float32s.
 */

const WORDS = [
  'the',
  'quick',
  'model',
  'answers',
  'every',
  'question',
  'with',
  'plain',
  'words',
  'from',
  'a',
  'small',
  'fixed',
  'list',
  'so',
  'tests',
  'can',
  'compare',
  'output',
  'between',
  'runs',
  'and',
  'nothing',
  'here',
  'means',
  'anything',
  'at',
  'all',
  'but',
  'it',
  'reads',
  'like',
  'text',
  'queue',
  'token',
  'stream',
  'llama',
  'river',
  'mountain',
  'green',
  'light',
  'slow',
  'bright',
  'simple',
  'honest',
  'steady',
  'calm',
  'blue',
];
const THOUGHTS = ['Okay', ' the', ' user', ' wants', ' a', ' short', ' answer', ' so', ' keep', ' it', ' brief', '.'];

/** FNV-1a, 32-bit. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `count` content tokens the simulator answers `seedText` with (one word per token). */
export function simTokens(seedText: string, count: number): string[] {
  const next = prng(hash32(seedText));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = WORDS[Math.floor(next() * WORDS.length)] as string;
    out.push(i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`);
  }
  return out;
}

/** The whole answer text for `seedText`, for tests: `simText(p, n) === simTokens(p, n).join('')`. */
export function simText(seedText: string, count: number): string {
  return simTokens(seedText, count).join('');
}

/** Reasoning tokens a thinking model emits before its answer. */
export function thinkingTokens(count = 4): string[] {
  return Array.from({ length: count }, (_, i) => THOUGHTS[i % THOUGHTS.length] as string);
}

export interface SimMarkers {
  /** `[[sim:tokens=N]]`: answer length in content tokens. */
  tokens?: number;
  /** `[[sim:error-after=N]]`: fail after N content tokens. */
  errorAfter?: number;
  /** `[[sim:hang-after=N]]`: stall for good after N content tokens (until the client leaves). */
  hangAfter?: number;
  /** `[[sim:die-after=N]]`: drop the connection after N content tokens, like a crash. */
  dieAfter?: number;
  /** `[[sim:hang]]`: never answer at all (until the client leaves). */
  hang: boolean;
  /** `[[sim:fail-load]]`: the model load fails. */
  failLoad: boolean;
}

const COUNTED = { tokens: 'tokens', errorAfter: 'error-after', hangAfter: 'hang-after', dieAfter: 'die-after' } as const;

export function parseMarkers(text: string): SimMarkers {
  const markers: SimMarkers = { hang: text.includes('[[sim:hang]]'), failLoad: text.includes('[[sim:fail-load]]') };
  for (const [field, name] of Object.entries(COUNTED) as Array<[keyof typeof COUNTED, string]>) {
    const m = new RegExp(`\\[\\[sim:${name}=(\\d+)\\]\\]`).exec(text);
    if (m) markers[field] = Number(m[1]);
  }
  return markers;
}

/** A rough tokenizer: about four characters a token, never zero. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A unit-length vector derived from `text`, cut to `dimensions` and renormalised like Ollama does. */
export function embedVector(text: string, length: number, dimensions?: number): number[] {
  const next = prng(hash32(`embed:${text}`));
  const size = dimensions && dimensions > 0 && dimensions < length ? dimensions : length;
  const raw = Array.from({ length: size }, () => next() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** Go's shortest float32 formatting (`strconv.FormatFloat(f, 'f'|'e', -1, 32)` as encoding/json uses it). */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (f === 0) return '0';
  let text = '';
  for (let p = 1; p <= 9; p++) {
    text = f.toPrecision(p);
    if (Math.fround(Number(text)) === f) break;
  }
  const n = Number(text);
  const abs = Math.abs(n);
  if (abs < 1e-6 || abs >= 1e21) {
    // Go's json encoder also trims `e-07` to `e-7`, which is what JS prints already.
    return n.toExponential();
  }
  return String(n);
}

/** A `[]float32` as Go's encoding/json writes it. */
export function float32ArrayJson(values: readonly number[]): string {
  return `[${values.map(formatFloat32).join(',')}]`;
}

/** OpenAI `encoding_format: "base64"`: little-endian float32 bytes. */
export function float32Base64(values: readonly number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}
