#!/usr/bin/env node
// Draws the tray icons (main/shell/icons: idle, working, paused, problem; light and dark menu bars;
// 16 px and @2x 32 px) and the app icon (packaging/icon.png, 512 px) as PNGs with nothing but
// node:zlib. Shapes are described in a unit square and supersampled 4×4 per pixel for smooth edges.
// Run it again after changing a shape: `node scripts/make-icons.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** RGBA pixels (Uint8Array, row-major) → PNG file bytes. */
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r1, r2) => (x, y) => {
  const d = (x - cx) ** 2 + (y - cy) ** 2;
  return d <= r1 * r1 && d >= r2 * r2;
};
const rect =
  (x0, y0, x1, y1, r = 0) =>
  (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
    const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
    return dx * dx + dy * dy <= r * r;
  };

/** Layers drawn in order: [inside(x, y) for x, y in 0..1, '#rrggbb']. */
function render(size, layers) {
  const rgba = new Uint8Array(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          let color = null;
          for (const [inside, c] of layers) if (inside(x, y)) color = c;
          if (color) {
            const [cr, cg, cb] = hex(color);
            r += cr;
            g += cg;
            b += cb;
            a++;
          }
        }
      }
      const i = (py * size + px) * 4;
      if (a) rgba.set([Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round((255 * a) / (S * S))], i);
    }
  }
  return png(size, rgba);
}

// "light" icons sit on a light menu bar (dark glyphs); "dark" ones on a dark bar.
const THEMES = {
  light: { glyph: '#24292f', accent: '#0969da', paused: '#9a6700', problem: '#cf222e' },
  dark: { glyph: '#f0f3f6', accent: '#4493f8', paused: '#d29922', problem: '#ff6a69' },
};
const SHAPES = {
  idle: (t) => [[ring(0.5, 0.5, 0.42, 0.27), t.glyph]],
  working: (t) => [
    [ring(0.5, 0.5, 0.42, 0.27), t.accent],
    [disc(0.5, 0.5, 0.15), t.accent],
  ],
  paused: (t) => [
    [rect(0.22, 0.16, 0.42, 0.84, 0.05), t.paused],
    [rect(0.58, 0.16, 0.78, 0.84, 0.05), t.paused],
  ],
  problem: (t) => [
    [disc(0.5, 0.5, 0.47), t.problem],
    [rect(0.42, 0.18, 0.58, 0.6, 0.06), '#ffffff'],
    [disc(0.5, 0.76, 0.085), '#ffffff'],
  ],
};

const iconsDir = path.join(root, 'main/shell/icons');
fs.mkdirSync(iconsDir, { recursive: true });
for (const [theme, colors] of Object.entries(THEMES)) {
  for (const [name, shape] of Object.entries(SHAPES)) {
    fs.writeFileSync(path.join(iconsDir, `${name}-${theme}.png`), render(16, shape(colors)));
    fs.writeFileSync(path.join(iconsDir, `${name}-${theme}@2x.png`), render(32, shape(colors)));
  }
}
// The app icon: the "working" mark on a dark rounded square (electron-builder makes .icns/.ico from it).
fs.mkdirSync(path.join(root, 'packaging'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'packaging/icon.png'),
  render(512, [
    [rect(0.06, 0.06, 0.94, 0.94, 0.2), '#1f2328'],
    [ring(0.5, 0.5, 0.3, 0.19), '#4493f8'],
    [disc(0.5, 0.5, 0.105), '#4493f8'],
  ]),
);
console.log(
  `wrote ${Object.keys(THEMES).length * Object.keys(SHAPES).length * 2} tray icons to ${path.relative(root, iconsDir)} and packaging/icon.png`,
);
