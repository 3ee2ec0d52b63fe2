import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In dev the API runs on its own port; everything it serves is proxied so cookies stay same-origin.
const apiUrl = process.env.SWARM_API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/trpc', '/api', '/webhooks', '/healthz'];

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: apiUrl, changeOrigin: false }])),
  },
});
