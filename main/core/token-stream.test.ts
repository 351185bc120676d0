import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ForemanEvent } from '../../shared/api.js';
import type { Flavor } from '../ollama/wire.js';
import { createTokenBatcher, parseTokens, type TokenLines } from './token-stream.js';

/** Parses `chunks` in order and returns the [content, thinking] deltas seen. */
function parse(flavor: Flavor, chunks: (string | Buffer)[]): [string, string][] {
  const stream: TokenLines = { flavor, decoder: null, rest: '' };
  const seen: [string, string][] = [];
  const sink = { add: (_id: string, content: string, thinking: string) => seen.push([content, thinking]) };
  for (const c of chunks) parseTokens('j', stream, typeof c === 'string' ? Buffer.from(c) : c, sink);
  return seen;
}

const line = (o: unknown) => `${JSON.stringify(o)}\n`;

describe('parseTokens', () => {
  it('reads chat, generate and thinking text from native NDJSON lines', () => {
    const body =
      line({ message: { role: 'assistant', content: 'Hi', thinking: 'hmm' } }) + line({ response: ' there' }) + line({ done: true });
    expect(parse('native', [body])).toEqual([
      ['Hi', 'hmm'],
      [' there', ''],
      ['', ''],
    ]);
  });

  it('joins a line split across chunks', () => {
    const body = line({ message: { content: 'Hello' } }) + line({ message: { content: ' world' } });
    const at = body.indexOf('world');
    expect(parse('native', [body.slice(0, at), body.slice(at)])).toEqual([
      ['Hello', ''],
      [' world', ''],
    ]);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from(line({ message: { content: 'día 🦙' } }));
    const llama = bytes.indexOf(Buffer.from('🦙'));
    const a = bytes.indexOf(Buffer.from('í'));
    const pieces = [bytes.subarray(0, a + 1), bytes.subarray(a + 1, llama + 2), bytes.subarray(llama + 2)];
    expect(parse('native', pieces)).toEqual([['día 🦙', '']]);
  });

  it('reads only the data: objects of the /v1 SSE, with a line split mid-way', () => {
    const body =
      ': keep-alive\n' +
      `data: ${JSON.stringify({ choices: [{ delta: { content: 'Hel' } }] })}\n\n` +
      `data: ${JSON.stringify({ choices: [{ delta: { content: null, reasoning: 'why' } }] })}\n\n` +
      `data: ${JSON.stringify({ choices: [{ text: 'lo' }] })}\n\n` +
      'data: [DONE]\n\n';
    const cuts = [body.indexOf('Hel') - 3, body.indexOf('reasoning'), body.indexOf('[DONE]') + 2];
    const pieces = [0, ...cuts].map((from, i) => body.slice(from, cuts[i] ?? body.length));
    expect(pieces.join('')).toBe(body);
    expect(parse('openai', pieces)).toEqual([
      ['Hel', ''],
      ['', 'why'],
      ['lo', ''],
    ]);
  });

  it('skips a cut first line and keeps going', () => {
    expect(parse('native', ['tent":"lost"}}\n', line({ message: { content: 'next' } })])).toEqual([['next', '']]);
  });

  it('holds an unfinished last line until its newline arrives', () => {
    const stream: TokenLines = { flavor: 'native', decoder: null, rest: '' };
    const seen: string[] = [];
    const sink = { add: (_id: string, content: string) => seen.push(content) };
    parseTokens('j', stream, Buffer.from('{"response":"a"}'), sink);
    expect(seen).toEqual([]);
    parseTokens('j', stream, Buffer.from('\n'), sink);
    expect(seen).toEqual(['a']);
  });
});

describe('createTokenBatcher', () => {
  afterEach(() => vi.useRealTimers());

  function batcher() {
    const events: ForemanEvent[] = [];
    return { events, tokens: createTokenBatcher({ hub: { publish: (e) => events.push(e) }, flushMs: 50 }) };
  }

  it('merges deltas per job and publishes them once per flush interval', () => {
    vi.useFakeTimers();
    const { events, tokens } = batcher();
    tokens.add('a', 'He', '');
    tokens.add('b', '', 'th');
    tokens.add('a', 'llo', 'x');
    tokens.add('a', '', ''); // nothing to say: not counted
    vi.advanceTimersByTime(49);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([
      { type: 'tokens', id: 'a', content: 'Hello', thinking: 'x', count: 2 },
      { type: 'tokens', id: 'b', content: '', thinking: 'th', count: 1 },
    ]);
    tokens.add('a', '!', '');
    vi.advanceTimersByTime(50);
    expect(events.at(-1)).toEqual({ type: 'tokens', id: 'a', content: '!', thinking: '', count: 1 });
  });

  it('flushes one job at once, leaving the others to the timer', () => {
    vi.useFakeTimers();
    const { events, tokens } = batcher();
    tokens.add('a', 'x', '');
    tokens.add('b', 'y', '');
    tokens.flush('a');
    tokens.flush('c');
    expect(events).toEqual([{ type: 'tokens', id: 'a', content: 'x', thinking: '', count: 1 }]);
    vi.advanceTimersByTime(50);
    expect(events.map((e) => e.type === 'tokens' && e.id)).toEqual(['a', 'b']);
  });
});
