/**
 * The Ollama hosts foreman fronts: `--upstream` (or `FOREMAN_UPSTREAM`/`OLLAMA_HOST`) as a
 * comma-separated list that may repeat, each `URL[#gpu-memory=SIZE&max-loaded=N]`. One upstream
 * behaves exactly as before several hosts existed.
 */
import { parseOllamaHost, type UpstreamAddress } from '../ollama/ollama-host.js';

export interface UpstreamSpec {
  /** `host:port`, unique: what the window, metrics and job records call the host. */
  id: string;
  address: UpstreamAddress;
  /** Per-host `--gpu-memory` and `--max-loaded`; null takes the global value. */
  gpuMemory: number | null;
  maxLoaded: number | null;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `24GB`, `12GiB`, `512MB` or plain bytes; null if it is not a positive size. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? NaN) : NaN;
  return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : null;
}

/**
 * Parses every item of every value. `source` names where the values came from (`--upstream`,
 * `OLLAMA_HOST`) so an error says which one was wrong. Throws `Error` with a one-line message.
 */
export function parseUpstreams(
  values: readonly string[],
  source: string,
  parseOne: (url: string) => UpstreamAddress = (url) => parseOllamaHost(url, source),
): UpstreamSpec[] {
  const specs: UpstreamSpec[] = [];
  for (const item of values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    const hash = item.indexOf('#');
    const url = hash < 0 ? item : item.slice(0, hash);
    const spec: UpstreamSpec = { id: '', address: parseOne(url), gpuMemory: null, maxLoaded: null };
    spec.id = spec.address.host;
    for (const pair of (hash < 0 ? '' : item.slice(hash + 1)).split('&').filter(Boolean)) {
      const [key, value = ''] = pair.split('=');
      if (key === 'gpu-memory') {
        spec.gpuMemory = parseBytes(value);
        if (spec.gpuMemory === null) throw new Error(`${source}: gpu-memory wants a size such as 24GB, got "${value}" in "${item}"`);
      } else if (key === 'max-loaded') {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new Error(`${source}: max-loaded wants a whole number ≥ 1, got "${value}" in "${item}"`);
        spec.maxLoaded = n;
      } else {
        throw new Error(`${source}: unknown host setting "${key}" in "${item}" (use gpu-memory=SIZE or max-loaded=N)`);
      }
    }
    if (specs.some((s) => s.id === spec.id)) throw new Error(`${source}: ${spec.id} is listed twice`);
    specs.push(spec);
  }
  if (specs.length === 0) throw new Error(`${source}: no Ollama host given`);
  return specs;
}
