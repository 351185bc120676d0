import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The window is served by the core at /ui/ (and loaded by the Electron window from there).
export default defineConfig({
  root: 'renderer',
  base: '/ui/',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/foreman': 'http://127.0.0.1:11435', '/jobs': 'http://127.0.0.1:11435' } },
});
