/**
 * Facts of Ollama's HTTP wire format shared by foreman's passthrough and the simulator
 * (see docs/ollama-wire notes: status codes, exact messages, content types).
 */
import { goJsonStringify } from './go-json.js';

export type InferenceApi = 'chat' | 'generate' | 'embed' | 'embeddings';
export type Flavor = 'native' | 'openai';

export interface InferenceRoute {
  path: string;
  /** The native API the request runs as (the `/v1` routes are translated by Ollama). */
  api: InferenceApi;
  flavor: Flavor;
  /** What Ollama does when `stream` is omitted. */
  streamDefault: boolean;
  /** Go struct name used in `json: cannot unmarshal … into Go struct field X.model` messages. */
  goStruct: string;
}

export const INFERENCE_ROUTES: readonly InferenceRoute[] = [
  { path: '/api/chat', api: 'chat', flavor: 'native', streamDefault: true, goStruct: 'ChatRequest' },
  { path: '/api/generate', api: 'generate', flavor: 'native', streamDefault: true, goStruct: 'GenerateRequest' },
  { path: '/api/embed', api: 'embed', flavor: 'native', streamDefault: false, goStruct: 'EmbedRequest' },
  { path: '/api/embeddings', api: 'embeddings', flavor: 'native', streamDefault: false, goStruct: 'EmbeddingRequest' },
  { path: '/v1/chat/completions', api: 'chat', flavor: 'openai', streamDefault: false, goStruct: 'ChatCompletionRequest' },
  { path: '/v1/completions', api: 'generate', flavor: 'openai', streamDefault: false, goStruct: 'CompletionRequest' },
  { path: '/v1/embeddings', api: 'embed', flavor: 'openai', streamDefault: false, goStruct: 'EmbedRequest' },
  { path: '/v1/responses', api: 'chat', flavor: 'openai', streamDefault: false, goStruct: 'ResponsesRequest' },
  { path: '/v1/messages', api: 'chat', flavor: 'openai', streamDefault: false, goStruct: 'MessagesRequest' },
];

export const CT_JSON_UTF8 = 'application/json; charset=utf-8';
export const CT_JSON = 'application/json';
export const CT_NDJSON = 'application/x-ndjson';
export const CT_SSE = 'text/event-stream';

/** Ollama's exact 503 text when its pending queue is full (two spaces after the period). */
export const BUSY_MESSAGE = 'server busy, please try again.  maximum pending requests exceeded';

/** `{"error":"…"}` exactly as gin's `c.JSON` writes it (Go escaping, no trailing newline). */
export function nativeErrorBody(message: string): string {
  return goJsonStringify({ error: message });
}

/** The OpenAI-compatible layer's error shape; `type` follows the HTTP status as Ollama maps it. */
export function openaiErrorBody(status: number, message: string): string {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return goJsonStringify({ error: { message, type, param: null, code: null } });
}

/** An error reply in the flavour the route speaks, with the content type Ollama uses for it. */
export function errorReply(flavor: Flavor, status: number, message: string): { contentType: string; body: string } {
  return flavor === 'openai'
    ? { contentType: CT_JSON, body: openaiErrorBody(status, message) }
    : { contentType: CT_JSON_UTF8, body: nativeErrorBody(message) };
}
