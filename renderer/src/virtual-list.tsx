/**
 * A fixed-row-height virtual list: a scroll box with a spacer as tall as every row, and only the rows
 * in view (plus a few either side) in the DOM, each absolutely placed. Enough for 10,000s of rows.
 */
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  /** Render row `index`; the caller must spread `style` (it places the row). */
  renderRow: (index: number, style: CSSProperties) => ReactNode;
  /** Told the first and last row index in view whenever they change (to fetch more, say). */
  onRange?: (first: number, last: number) => void;
  /** Rows rendered beyond each edge of the view. @default 6 */
  overscan?: number;
  className?: string;
  /** Header rows outside the list, for `aria-rowcount` (rows are 1-based after them). */
  ariaLabel?: string;
  header?: ReactNode;
}

export function VirtualList({ count, rowHeight, renderRow, onRange, overscan = 6, className, ariaLabel, header }: VirtualListProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setViewport(el.clientHeight);
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  // One state update per frame however fast the scroll events come.
  function onScroll() {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (box.current) setScrollTop(box.current.scrollTop);
    });
  }

  const firstVisible = Math.floor(scrollTop / rowHeight);
  const lastVisible = Math.min(count - 1, Math.ceil((scrollTop + viewport) / rowHeight));
  const first = Math.max(0, firstVisible - overscan);
  const last = Math.min(count - 1, lastVisible + overscan);

  const onRangeRef = useRef(onRange);
  useEffect(() => {
    onRangeRef.current = onRange;
  });
  useEffect(() => {
    onRangeRef.current?.(firstVisible, lastVisible);
  }, [firstVisible, lastVisible, count]);

  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) {
    rows.push(renderRow(i, { position: 'absolute', top: i * rowHeight, height: rowHeight, left: 0, right: 0 }));
  }
  return (
    <div className={`vlist ${className ?? ''}`} role="table" aria-label={ariaLabel} aria-rowcount={count + (header ? 1 : 0)}>
      {header}
      <div className="vlist-scroll" ref={box} onScroll={onScroll} tabIndex={0} role="rowgroup">
        <div className="vlist-spacer" style={{ height: count * rowHeight }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
