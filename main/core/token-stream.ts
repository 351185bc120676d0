/**
 * Token deltas for the window, from a copy of a streamed answer: complete lines are parsed (native
 * NDJSON, or the `data:` lines of the /v1 SSE) into content and thinking text, which is batched per job
 * and published as one `tokens` event per job every `flushMs`.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Flavor } from '../ollama/wire.js';
import type { EventHub } from './event-hub.js';

/** Where one answer's stream stands between chunks: a UTF-8 character or a line may span two. */
export interface TokenLines {
  flavor: Flavor;
  /** Created on the first parsed chunk, so answers nobody watched never pay for one. */
  decoder: StringDecoder | null;
  /** The incomplete last line so far. */
  rest: string;
}

export interface TokenSink {
  add(id: string, content: string, thinking: string): void;
}

/** The fields of a streamed chunk that carry text (native NDJSON, or a /v1 SSE `data:` object). */
interface StreamedChunk {
  message?: { content?: string; thinking?: string };
  response?: string;
  content?: string;
  thinking?: string;
  choices?: { delta?: { content?: string | null; reasoning?: string }; text?: string }[];
}

/** Feeds job `id`'s next chunk; each complete line's text goes to `sink`. */
export function parseTokens(id: string, stream: TokenLines, chunk: Buffer, sink: TokenSink): void {
  stream.decoder ??= new StringDecoder('utf8');
  const text = stream.rest + stream.decoder.write(chunk);
  const lines = text.split('\n');
  stream.rest = lines.pop() ?? '';
  for (let line of lines) {
    if (stream.flavor === 'openai') {
      if (!line.startsWith('data: {')) continue;
      line = line.slice(6);
    }
    let o: StreamedChunk;
    try {
      o = JSON.parse(line) as StreamedChunk;
    } catch {
      continue; // the first line after someone started watching may be cut
    }
    if (stream.flavor === 'openai') {
      const c = o.choices?.[0];
      sink.add(id, String(c?.delta?.content ?? c?.text ?? ''), String(c?.delta?.reasoning ?? ''));
    } else {
      const part = o.message ?? o;
      sink.add(id, String(part.content ?? o.response ?? ''), String(part.thinking ?? ''));
    }
  }
}

export interface TokenBatcherOptions {
  hub: Pick<EventHub, 'publish'>;
  /** How often pending deltas go out. */
  flushMs: number;
}

/** Merges token deltas per job so the window gets a few events a second, not one per token. */
export function createTokenBatcher(options: TokenBatcherOptions) {
  const { hub, flushMs } = options;
  const pending = new Map<string, { content: string; thinking: string; count: number }>();
  let timer: NodeJS.Timeout | null = null;

  function flushAll(): void {
    timer = null;
    for (const [id, t] of pending) hub.publish({ type: 'tokens', id, ...t });
    pending.clear();
  }

  return {
    add(id: string, content: string, thinking: string): void {
      if (!content && !thinking) return;
      const t = pending.get(id);
      if (t) {
        t.content += content;
        t.thinking += thinking;
        t.count++;
      } else pending.set(id, { content, thinking, count: 1 });
      if (!timer) {
        timer = setTimeout(flushAll, flushMs);
        timer.unref();
      }
    },

    /** Publishes job `id`'s pending deltas now, ahead of its final row. */
    flush(id: string): void {
      const t = pending.get(id);
      if (!t) return;
      pending.delete(id);
      hub.publish({ type: 'tokens', id, ...t });
    },
  };
}

export type TokenBatcher = ReturnType<typeof createTokenBatcher>;
