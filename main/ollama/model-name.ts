/** Ollama's short model name: a name without a tag means `:latest` (`llama3.2` → `llama3.2:latest`). */
export function normalizeModel(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') return trimmed;
  const lastSlash = trimmed.lastIndexOf('/');
  const base = trimmed.slice(lastSlash + 1);
  if (base.includes(':') || base.includes('@')) return trimmed;
  return `${trimmed}:latest`;
}

/** Cloud models run on ollama.com, not on the local GPU, so they never wait in a local lane. */
export function isCloudModel(name: string): boolean {
  const tag = name.slice(name.lastIndexOf(':') + 1);
  return name.endsWith('-cloud') || tag === 'cloud' || name.endsWith(':cloud');
}
