// The wall's build: client/ → dist/client (served by server/app.ts); in dev, socket and API calls go to the server.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const server = process.env.CITYOPS_DEV_SERVER ?? 'http://localhost:8080';
// The build's id: walls report it, and the server (reading build.json) flags a wall still running an older build.
const pkgVersion = (JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
const build = `${pkgVersion}+${Date.now().toString(36)}`;

export default defineConfig({
  root: 'client',
  plugins: [
    vue(),
    {
      name: 'cityops-build-id',
      generateBundle() {
        this.emitFile({ type: 'asset', fileName: 'build.json', source: JSON.stringify({ version: build }) });
      },
    },
  ],
  define: { __CITYOPS_BUILD__: JSON.stringify(build) },
  // `@shared/…` is the domain folder, as in tsconfig.base.json's paths.
  resolve: { alias: { '@shared': fileURLToPath(new URL('./shared', import.meta.url)) } },
  // ECharts (modular imports) is most of the one chunk: about 690 kB minified, 236 kB gzip — under the 600 kB gzip budget.
  build: { outDir: '../dist/client', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/socket.io': { target: server, ws: true },
      '/api': { target: server },
    },
  },
});
