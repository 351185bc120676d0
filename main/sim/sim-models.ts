/**
 * The simulator's installed-model list (what `/api/tags` shows). Lookups fold case like Ollama's
 * `getExistingName`, and names resolve through the same short form (`llama3.2` = `llama3.2:latest`
 * = `registry.ollama.ai/library/llama3.2:latest`).
 */
import { createHash } from 'node:crypto';
import { normalizeModel } from '../ollama/model-name.js';
import { nowNs } from './sim-time.js';

export interface SimModelSpec {
  /** e.g. `llama3.2:latest`; a missing tag means `:latest`. */
  name: string;
  /** @default 'chat' ('embedding' when the name contains "embed") */
  kind?: 'chat' | 'embedding';
  /** Has the thinking capability (thinking is then on unless `think:false`). */
  thinking?: boolean;
  /** Has the tools capability. @default true for chat models */
  tools?: boolean;
  family?: string;
  parameterSize?: string;
  /** The model file's size in bytes (what `/api/tags` shows, and the weights' share of a runner's memory). */
  sizeBytes?: number;
  embeddingLength?: number;
  /**
   * KV-cache bytes per token of context per parallel slot; a runner holds `num_ctx × slots × this` on
   * top of the weights. @default 65536 for chat models, 16384 for embedding models
   */
  kvBytesPerToken?: number;
}

export interface SimModel {
  name: string;
  kind: 'chat' | 'embedding';
  thinking: boolean;
  tools: boolean;
  family: string;
  parameterSize: string;
  quantization: string;
  sizeBytes: number;
  embeddingLength: number;
  kvBytesPerToken: number;
  contextLength: number;
  digest: string;
  modifiedNs: bigint;
}

/** Realistic facts for the default models, so `/api/tags` and `/api/ps` look like a real box. */
const KNOWN: Record<string, Omit<SimModelSpec, 'name'> & { quantization?: string }> = {
  'llama3.2:latest': { family: 'llama', parameterSize: '3.2B', sizeBytes: 2019393189, embeddingLength: 3072 },
  'qwen3:0.6b': { family: 'qwen3', parameterSize: '751.63M', sizeBytes: 522653767, embeddingLength: 1024, thinking: true },
  'gemma3:1b': { family: 'gemma3', parameterSize: '999.89M', sizeBytes: 815319791, embeddingLength: 1152, tools: false },
  'mistral:latest': { family: 'llama', parameterSize: '7.2B', sizeBytes: 4372824384, embeddingLength: 4096 },
  'nomic-embed-text:latest': {
    family: 'nomic-bert',
    parameterSize: '137M',
    sizeBytes: 274302450,
    embeddingLength: 768,
    kind: 'embedding',
    quantization: 'F16',
  },
};

export const DEFAULT_MODELS: readonly string[] = ['llama3.2', 'qwen3:0.6b', 'gemma3:1b', 'mistral', 'nomic-embed-text'];

/** Ollama's short display name: `registry.ollama.ai/library/x:tag` → `x:tag`. */
export function shortModelName(name: string): string {
  return normalizeModel(name)
    .replace(/^registry\.ollama\.ai\//i, '')
    .replace(/^library\//i, '');
}

/** Fully qualified name, as Ollama prints it in capability errors. */
export function qualifiedModelName(short: string): string {
  return short.includes('/') ? `registry.ollama.ai/${short}` : `registry.ollama.ai/library/${short}`;
}

/** Roughly `model.ParseName(...).IsValid()`: host/namespace/model parts and an optional tag. */
export function isValidModelName(name: string): boolean {
  const part = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}';
  return new RegExp(`^(?:[A-Za-z0-9_.:-]+/){0,2}${part}(?::${part})?$`).test(name.trim());
}

export function toSimModel(input: string | SimModelSpec, modifiedNs: bigint): SimModel {
  const spec = typeof input === 'string' ? { name: input } : input;
  const name = shortModelName(spec.name);
  const known = KNOWN[name] ?? {};
  const merged = { ...known, ...stripUndefined(spec) };
  const base = name.slice(name.lastIndexOf('/') + 1).split(':')[0] ?? name;
  const kind = merged.kind ?? (/embed/i.test(name) ? 'embedding' : 'chat');
  return {
    name,
    kind,
    thinking: merged.thinking ?? (kind === 'chat' && /^(qwen3|deepseek-r1|gpt-oss)/i.test(base)),
    tools: kind === 'chat' && (merged.tools ?? true),
    family: merged.family ?? (base.replace(/[^a-z]+$/i, '').toLowerCase() || 'llama'),
    parameterSize: merged.parameterSize ?? '1B',
    quantization: known.quantization ?? 'Q4_K_M',
    sizeBytes: merged.sizeBytes ?? 1_000_000_000,
    embeddingLength: merged.embeddingLength ?? (kind === 'embedding' ? 768 : 2048),
    kvBytesPerToken: merged.kvBytesPerToken ?? (kind === 'embedding' ? 16_384 : 65_536),
    contextLength: kind === 'embedding' ? 2048 : 131072,
    digest: createHash('sha256').update(`sim:${name}`).digest('hex'),
    modifiedNs,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface ModelCatalog {
  find(name: string): SimModel | undefined;
  /** Most recently modified first, like `/api/tags`. */
  list(): SimModel[];
  add(spec: string | SimModelSpec): SimModel;
  remove(name: string): boolean;
}

export function createModelCatalog(options: { models: readonly (string | SimModelSpec)[] }): ModelCatalog {
  const byKey = new Map<string, SimModel>();
  const key = (name: string) => shortModelName(name).toLowerCase();
  // Earlier entries get later mtimes so the list order follows the option order.
  const start = nowNs() - 86_400_000_000_000n;
  options.models.forEach((spec, i) => {
    const m = toSimModel(spec, start - BigInt(i) * 60_000_000_000n);
    byKey.set(key(m.name), m);
  });
  return {
    find: (name) => (name.trim() === '' ? undefined : byKey.get(key(name))),
    list: () => [...byKey.values()].sort((a, b) => (a.modifiedNs === b.modifiedNs ? 0 : a.modifiedNs > b.modifiedNs ? -1 : 1)),
    add(spec) {
      const m = toSimModel(spec, nowNs());
      byKey.set(key(m.name), m);
      return m;
    },
    remove: (name) => byKey.delete(key(name)),
  };
}
