/**
 * Decodes a request body the way Ollama's Go handlers do (gin `ShouldBindJSON`, i.e. one
 * `json.Decoder.Decode`), so foreman and the simulator answer malformed input with Ollama's own words.
 * The fast path is a plain `JSON.parse`; the character scanner only runs to explain a failure.
 */
export type GoDecodeResult = { ok: true; value: unknown } | { ok: false; message: string };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function decodeGoJson(body: Buffer | string): GoDecodeResult {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return scan(text);
  }
}

/** Go's scanner messages quote the offending character like `'x'` (or `'\''`, `'\\'`). */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

class SyntaxFail extends Error {}

/** A validating scanner over the first JSON value, with Go's `encoding/json` error phrases. */
function scan(text: string): GoDecodeResult {
  let i = 0;
  const n = text.length;
  const fail = (msg: string): never => {
    throw new SyntaxFail(msg);
  };
  const eof = (): never => fail('unexpected EOF');
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const bad = (context: string): never => fail(`invalid character ${quoteChar(text[i] as string)} ${context}`);

  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) eof();
      if (text[i] !== word[k]) bad(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= n) eof();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        if (i >= n) eof();
        const e = text[i] as string;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) eof();
            if (!/[0-9a-fA-F]/.test(text[i] as string)) bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) bad('in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) bad('in string literal');
      i++;
    }
  };
  const number = () => {
    if (text[i] === '-') {
      i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i] as string)) bad('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (i < n && /[0-9]/.test(text[i] as string)) i++;
    if (text[i] === '.') {
      i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i] as string)) bad('after decimal point in numeric literal');
      while (i < n && /[0-9]/.test(text[i] as string)) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i] as string)) bad('in exponent of numeric literal');
      while (i < n && /[0-9]/.test(text[i] as string)) i++;
    }
  };
  const value = (): void => {
    skipWs();
    if (i >= n) eof();
    const c = text[i] as string;
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || /[0-9]/.test(c)) return number();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    bad('looking for beginning of value');
  };
  const object = () => {
    i++;
    skipWs();
    if (i >= n) eof();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipWs();
      if (i >= n) eof();
      if (text[i] !== '"') bad('looking for beginning of object key string');
      string();
      skipWs();
      if (i >= n) eof();
      if (text[i] !== ':') bad('after object key');
      i++;
      value();
      skipWs();
      if (i >= n) eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      bad('after object key:value pair');
    }
  };
  const array = () => {
    i++;
    skipWs();
    if (i >= n) eof();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      skipWs();
      if (i >= n) eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      bad('after array element');
    }
  };

  try {
    skipWs();
    if (i >= n) return { ok: false, message: 'EOF' };
    value();
    // json.Decoder reads one value and ignores whatever follows it.
    return { ok: true, value: JSON.parse(text.slice(0, i)) };
  } catch (err) {
    if (err instanceof SyntaxFail) return { ok: false, message: err.message };
    return { ok: false, message: 'unexpected EOF' };
  }
}

/** Go's name for a JSON value's type in `json: cannot unmarshal X into …` messages. */
export function goJsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number' | 'object'
}

/** `encoding/json` escapes HTML-significant characters and the JS line separators. */
export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
