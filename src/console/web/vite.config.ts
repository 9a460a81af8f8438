import { defineConfig } from 'vite';

/**
 * The console's front end: `vite build src/console/web` (npm run build:console) writes src/console/web/dist, which
 * the console server serves. Relative asset URLs so the page works behind any path prefix.
 */
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  logLevel: 'warn',
});
