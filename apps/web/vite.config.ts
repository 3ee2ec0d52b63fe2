import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// In dev the API runs on its own port; everything it serves is proxied so cookies stay same-origin.
const apiUrl = process.env.SWARM_API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/trpc', '/api', '/webhooks', '/healthz'];

/**
 * The web app imports a few browser-safe pieces of `@swarm/engine` (the definition schema and its
 * structural checks). The engine's index also re-exports server-only modules whose top level does
 * work (an ajv instance, node: imports), which would keep them — and ajv, jsonata — in the bundle.
 * Declaring the engine's modules free of side effects lets the bundler drop what is not imported.
 */
function engineWithoutSideEffects(): Plugin {
  return {
    name: 'swarm:engine-without-side-effects',
    apply: 'build',
    transform(code, id) {
      if (/[\\/]packages[\\/]engine[\\/]src[\\/]/.test(id))
        return { code, map: null, moduleSideEffects: false };
      return null;
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), engineWithoutSideEffects()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: apiUrl, changeOrigin: false }])),
  },
});
