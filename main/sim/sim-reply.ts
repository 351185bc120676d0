/**
 * How an inference handler talks to its client, mirroring the two ways Ollama's handlers write:
 * `c.JSON` (one object, or an error) and `streamResponse` (NDJSON, headers on the first chunk).
 * The `/v1` routes swap in writers that translate, as Ollama's OpenAI middleware wraps gin's writer.
 */
import type { ServerResponse } from 'node:http';
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON, CT_JSON_UTF8, CT_NDJSON, nativeErrorBody } from '../ollama/wire.js';
import { endResponse, sendBody, startStream, writeChunk, type Headers } from './sim-http.js';
import type { JobFigures } from '../../shared/types.js';

export interface ToolCall {
  id: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

/** The final chunk's figures, the same fields foreman keeps per job. */
export type Metrics = JobFigures;

export interface ChatMessageOut {
  role: 'assistant';
  content: string;
  thinking?: string;
  tool_calls?: ToolCall[];
}

/** `api.ChatResponse` / `api.GenerateResponse` with Go's field order. */
export interface ChatChunk extends Metrics {
  model: string;
  created_at: string;
  message: ChatMessageOut;
  done: boolean;
  done_reason?: string;
}

export interface GenerateChunk extends Metrics {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: boolean;
  done_reason?: string;
  context?: number[];
}

export type NativeChunk = ChatChunk | GenerateChunk;

export interface ReplyWriter {
  /** `c.JSON(status, {"error": message})`. */
  error(status: number, message: string): void;
  /** `c.JSON(200, obj)`: a non-stream result or a load/unload reply. */
  reply(body: NativeChunk): void;
  /** One `streamResponse` chunk; the first one sends the 200 headers. */
  chunk(body: NativeChunk): void;
  /** An error reaching `streamResponse`: an HTTP error before the first byte, an error line after. */
  streamError(status: number, message: string): void;
  end(): void;
}

export interface EmbedResult {
  model: string;
  embeddings: number[][];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
}

export interface EmbedWriter {
  error(status: number, message: string): void;
  /** `/api/embed` result; `/api/embeddings` (legacy) only reads `embeddings[0]`. */
  reply(result: EmbedResult): void;
}

export function createNativeWriter(res: ServerResponse, extra: Headers): ReplyWriter {
  return {
    error: (status, message) => sendBody(res, status, CT_JSON_UTF8, nativeErrorBody(message), extra),
    reply: (body) => sendBody(res, 200, CT_JSON_UTF8, goJsonStringify(body), extra),
    chunk(body) {
      startStream(res, CT_NDJSON, extra);
      writeChunk(res, `${goJsonStringify(body)}\n`);
    },
    streamError(status, message) {
      // Before the first byte streamResponse forces `application/json` (no charset); after it, one
      // more NDJSON line written by json.Encoder (hence the newline).
      if (!res.headersSent) sendBody(res, status, CT_JSON, nativeErrorBody(message), extra);
      else endResponse(res, `${goJsonStringify({ error: message })}\n`);
    },
    end: () => endResponse(res),
  };
}
