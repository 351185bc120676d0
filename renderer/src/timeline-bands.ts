/**
 * The timeline's rows: one per model, or with several hosts one per host and model (`gpu1:11434 ·
 * llama3.2:latest`), hosts in configuration order. A row's key is also its label.
 */
import type { Timeline } from '../../shared/api.js';

type Item = { model: string; host?: string | null };

/** The row an item is drawn in. Rows from before hosts (no host) keep the bare model name. */
export function bandKey(item: Item, byHost: boolean): string {
  return byHost && item.host ? `${item.host} · ${item.model}` : item.model;
}

/** Every row the data needs, ordered by host (as configured, unknown ones after, none last), then model. */
export function bandsOf(data: Pick<Timeline, 'segments' | 'bars'>, hostOrder: readonly string[] | null): string[] {
  const byHost = hostOrder !== null;
  const items = new Map<string, Item>();
  for (const it of [...data.segments, ...data.bars]) items.set(bandKey(it, byHost), it);
  const rank = (host: string | null | undefined) => {
    if (!host) return Infinity;
    const at = hostOrder?.indexOf(host) ?? -1;
    return at === -1 ? hostOrder!.length : at;
  };
  return [...items.entries()]
    .sort(([ka, a], [kb, b]) => (byHost ? rank(a.host) - rank(b.host) : 0) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([key]) => key);
}
