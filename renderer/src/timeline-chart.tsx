/**
 * The timeline picture: time across, one row per model (per host and model, with several hosts);
 * residency as bands whose loading start is hatched, jobs as thin bars inside (each a link to its
 * transcript). Plain SVG sized to its box.
 */
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { Timeline, TimelineBar } from '../../shared/api.js';
import { clock, duration } from './format.js';
import { middleEllipsis, textWidth } from './middle-ellipsis.js';
import { href } from './router.js';
import { bandKey, bandsOf } from './timeline-bands.js';

/** The model names' column: as wide as the longest name needs, within these bounds (px, share of the width). */
const GUTTER_MIN = 120;
const GUTTER_SHARE = 0.3;
/** Room between a name and the plot, and at the chart's left edge. */
const LABEL_PAD = 10;
/** `.chart`'s top padding: the SVG starts this far into the box the labels are placed in. */
const CHART_PAD = 6;
const RIGHT = 16;
const AXIS = 28;
const ROW = 44;
const BAND = 30;
const TRACK = 5;
const TRACKS = 4;
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map((s) => s * 1000);

function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => entry && setWidth(Math.max(360, Math.floor(entry.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

/** Greedy packing: a job goes on the first track free at its start, so parallel jobs do not overlap. */
function packTracks(bars: TimelineBar[]): Map<string, number> {
  const ends: number[] = [];
  const track = new Map<string, number>();
  for (const b of [...bars].sort((x, y) => x.start - y.start)) {
    let t = ends.findIndex((end) => end <= b.start);
    if (t === -1) t = ends.length < TRACKS ? ends.length : TRACKS - 1;
    ends[t] = Math.max(ends[t] ?? 0, b.end);
    track.set(b.id, t);
  }
  return track;
}

const hm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const hms = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * The time shown: from a little before the first activity to the end of the fetched window, so a
 * minute of work fills the chart rather than a sliver of an hour.
 */
function domain(data: Timeline): [number, number] {
  let first = data.to;
  for (const s of data.segments) first = Math.min(first, s.start);
  for (const b of data.bars) first = Math.min(first, b.start);
  const pad = Math.max(1000, (data.to - first) * 0.03);
  return [Math.max(data.from, first - pad), data.to];
}

function span(start: number, end: number): string {
  return `${clock(start)}–${clock(end)} (${duration(end - start)})`;
}

/** `hostOrder`: with several hosts, their ids as configured (a row per host and model); else null. */
export function TimelineChart({ data, now, hostOrder }: { data: Timeline; now: number; hostOrder: readonly string[] | null }) {
  const [box, width] = useWidth();
  const byHost = hostOrder !== null;
  const rows = bandsOf(data, hostOrder);
  const measure = useMemo(() => textWidth(`12px ${getComputedStyle(document.documentElement).getPropertyValue('--mono')}`), []);
  const widest = Math.max(0, ...rows.map(measure));
  const gutter = Math.round(Math.min(Math.max(GUTTER_MIN, widest + 3 * LABEL_PAD), Math.max(GUTTER_MIN, width * GUTTER_SHARE)));
  const labelRoom = gutter - 3 * LABEL_PAD;
  const [from, to] = domain(data);
  const range = Math.max(1, to - from);
  const plot = width - gutter - RIGHT;
  const x = (t: number) => gutter + ((Math.min(Math.max(t, from), to) - from) / range) * plot;
  const height = AXIS + rows.length * ROW + 8;
  const step = STEPS.find((s) => range / s <= Math.max(3, Math.floor(plot / 100))) ?? 21600_000;
  const tickFmt = step >= 60_000 ? hm : hms;
  const ticks: number[] = [];
  // Local-time ticks: offset by the zone so minute and hour ticks land on round local times.
  const zone = new Date(from).getTimezoneOffset() * 60_000;
  for (let t = Math.ceil((from - zone) / step) * step + zone; t <= to; t += step) ticks.push(t);

  return (
    <div className="chart" ref={box}>
      <svg width={width} height={height} role="group" aria-label={`Models and jobs from ${clock(from)} to ${clock(to)}`}>
        <defs>
          <pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
            <rect className="hatch-bg" width="6" height="6" />
            <line className="hatch-line" x1="0" y1="0" x2="0" y2="6" />
          </pattern>
        </defs>
        {ticks.map((t) => (
          <g key={t} className="tick">
            <line x1={x(t)} x2={x(t)} y1={AXIS - 6} y2={height - 8} />
            <text x={x(t)} y={AXIS - 10} textAnchor="middle">
              {tickFmt.format(t)}
            </text>
          </g>
        ))}
        {rows.map((band, row) => {
          const y = AXIS + row * ROW + (ROW - BAND) / 2;
          const bars = data.bars.filter((b) => bandKey(b, byHost) === band);
          const tracks = packTracks(bars);
          return (
            <g key={band} className="row">
              <line className="row-rule" x1={gutter} x2={width - RIGHT} y1={y + BAND + (ROW - BAND) / 2} y2={y + BAND + (ROW - BAND) / 2} />
              {data.segments
                .filter((s) => bandKey(s, byHost) === band)
                .map((s) => {
                  const x0 = x(s.start);
                  const w = Math.max(2, x(s.end) - x0);
                  const lw = Math.min(w, Math.max(s.load_ms > 0 ? 2 : 0, x(s.start + s.load_ms) - x0));
                  const what = byHost && s.host ? `${s.model} resident on ${s.host}` : `${s.model} resident`;
                  const label = `${what} ${span(s.start, s.end)}${s.load_ms > 0 ? `, loading took ${duration(s.load_ms)}` : ', no load'}`;
                  return (
                    <g key={s.start} className="segment" data-testid={`segment-${band}`} tabIndex={0} aria-label={label}>
                      <title>{label}</title>
                      <rect className="band" x={x0} y={y} width={w} height={BAND} rx={3} />
                      {lw > 0 && <rect className="load" x={x0} y={y} width={lw} height={BAND} rx={3} />}
                    </g>
                  );
                })}
              {bars.map((b) => {
                const x0 = x(b.start);
                const w = Math.max(2, x(b.end) - x0);
                const label = `Job ${b.id} (${b.source}${byHost && b.host ? ` on ${b.host}` : ''}), ${b.state}, ${span(b.start, b.end)}`;
                return (
                  <a key={b.id} href={href.job(b.id)} className={`bar ${b.state} ${b.source}`} aria-label={label}>
                    <title>{label}</title>
                    <rect x={x0} y={y + 4 + (tracks.get(b.id) ?? 0) * (TRACK + 2)} width={w} height={TRACK} rx={1.5} />
                  </a>
                );
              })}
            </g>
          );
        })}
        {now >= from && now <= to + 2000 && <line className="now" x1={x(now)} x2={x(now)} y1={AXIS - 6} y2={height - 8} />}
      </svg>
      {/* HTML over the SVG's left column: a title attribute for the whole name, and real text measures. */}
      {rows.map((band, row) => (
        <div
          key={band}
          className="model-label"
          data-testid={`model-label-${band}`}
          title={band}
          style={{
            top: CHART_PAD + AXIS + row * ROW + (ROW - BAND) / 2,
            left: LABEL_PAD,
            width: gutter - 2 * LABEL_PAD,
            height: BAND,
            lineHeight: `${BAND}px`,
          }}
        >
          {middleEllipsis(band, (s) => measure(s) <= labelRoom)}
        </div>
      ))}
    </div>
  );
}
