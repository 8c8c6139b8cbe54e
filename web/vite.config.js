// @ts-check
// The web app's build. Plain JavaScript so that it is neither part of the
// server's type-check (Node) nor of the web app's (DOM).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Small enough to read in a review; the staff area is split off (lazy).
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev:web`: the app with hot reload, the API from `npm start` on port 3000.
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});
