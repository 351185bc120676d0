/** Long names cut in the middle, so both the family and the tag stay readable: `hf.co/bartow…:Q4_K_M`. */

/**
 * `text` whole if `fits` says so, else the longest `start…end` that fits, keeping one more character
 * of the start than of the end when odd. `fits` is monotonic in length (a text measure).
 */
export function middleEllipsis(text: string, fits: (s: string) => boolean): string {
  if (fits(text)) return text;
  const cut = (keep: number) => `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`;
  let lo = 0;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(cut(mid))) lo = mid;
    else hi = mid - 1;
  }
  return cut(lo);
}

let canvas: HTMLCanvasElement | null = null;

/** A text measure for `font` (a CSS font shorthand), in CSS pixels. */
export function textWidth(font: string): (s: string) => number {
  canvas ??= document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) return (s) => s.length * 8;
  return (s) => {
    ctx.font = font;
    return ctx.measureText(s).width;
  };
}
