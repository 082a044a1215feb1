// The wall's build: client/ → dist/client (served by server/app.ts); in dev, socket and API calls go to the server.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const server = process.env.CITYOPS_DEV_SERVER ?? 'http://localhost:8080';

export default defineConfig({
  root: 'client',
  plugins: [vue()],
  // ECharts (modular imports) is most of the one chunk: about 690 kB minified, 236 kB gzip — under DESIGN's 600 kB gzip.
  build: { outDir: '../dist/client', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/socket.io': { target: server, ws: true },
      '/api': { target: server },
    },
  },
});
