import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @textback/web` serves the app on :5173 and forwards the API to a server on :3000
// (or TEXTBACK_API). Same origin for the browser, so the session cookie works as in production.
const target = process.env.TEXTBACK_API ?? 'http://127.0.0.1:3000';
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/v1': target, '/openapi.json': target } },
});
