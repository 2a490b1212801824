import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The officer screen: its own small bundle, served by the edge agent from ui/dist (officer/index.ts).
// `npm run dev:ui -w edge-agent` proxies /api to an agent started with --http-port 8420.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [svelte({ compilerOptions: { runes: true } })],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  server: { proxy: { '/api': { target: `http://127.0.0.1:${process.env.SK_HTTP_PORT ?? '8420'}` } } },
});
