/**
 * The memory strip: the GPU budget Ollama may fill and who holds how much of it. Runners that fit
 * together run side by side; one that does not fit waits until the loaded one has drained.
 */
import type { MemorySnapshot } from '../../shared/api.js';

/** 2019393189 → "2.0 GB" (decimal, as Ollama's `ollama ps` prints sizes). */
export function bytesLabel(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

function budgetText(m: MemorySnapshot): string {
  if (m.budget_bytes === null) return 'GPU budget not known yet: one model at a time until Ollama shows two fit';
  if (m.budget_source === 'configured') return `GPU budget ${bytesLabel(m.budget_bytes)} (--gpu-memory)`;
  return `GPU budget ≥ ${bytesLabel(m.budget_bytes)} (seen resident together)`;
}

/** `compact`: a host row's strip, named by its row (`label`) rather than a heading of its own. */
export function MemoryStrip({
  memory,
  compact = false,
  label = 'GPU memory',
}: {
  memory: MemorySnapshot;
  compact?: boolean;
  label?: string;
}) {
  const used = memory.runners.reduce((n, r) => n + (r.bytes ?? 0), 0);
  const total = Math.max(memory.budget_bytes ?? 0, used, 1);
  const free = memory.budget_bytes === null ? 0 : Math.max(0, memory.budget_bytes - used);
  return (
    <section className={compact ? 'memory compact' : 'memory'} aria-label={label} data-testid="memory-strip">
      <div className="memory-head">
        {!compact && <strong>GPU memory</strong>}
        <span className="muted">{budgetText(memory)}</span>
        <span className="muted">
          {memory.runners.length} of {memory.max_loaded} loaded
        </span>
      </div>
      <div className="memory-bar" role="list">
        {memory.runners.map((r) => {
          const share = r.bytes === null ? null : r.bytes / total;
          const label = `${r.lane} · ${r.bytes === null ? 'size not known yet' : bytesLabel(r.bytes)}${r.in_flight ? ` · ${r.in_flight} running` : ' · idle'}`;
          return (
            <div
              key={r.lane}
              role="listitem"
              className={`memory-runner${r.in_flight ? ' busy' : ''}`}
              style={{ flexGrow: share === null ? 1 : 0, flexBasis: share === null ? '6rem' : `${(share * 100).toFixed(2)}%` }}
              title={label}
              data-lane={r.lane}
            >
              <span className="memory-name">{r.lane}</span>
              <span className="memory-size">{r.bytes === null ? '…' : bytesLabel(r.bytes)}</span>
            </div>
          );
        })}
        {free > 0 && (
          <div className="memory-free" style={{ flexBasis: `${((free / total) * 100).toFixed(2)}%` }} title={`${bytesLabel(free)} free`}>
            <span className="memory-size">{bytesLabel(free)} free</span>
          </div>
        )}
        {memory.runners.length === 0 && free === 0 && <div className="memory-empty muted">Nothing loaded</div>}
      </div>
    </section>
  );
}
