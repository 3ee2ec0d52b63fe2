import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// In dev the API runs on its own port; everything it serves is proxied so cookies stay same-origin.
const apiUrl = process.env.SWARM_API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/trpc', '/api', '/webhooks', '/healthz'];

/** Where index.html's inline script lists the compare page's files (an empty list in dev). */
const COMPARE_PAGE_FILES = '/* compare page files */ []';

/**
 * Fills in the compare page's own chunks and styles (the page, React Flow, …; not what the entry
 * already loads), which index.html preloads on a compare URL: fetched and compiled while the
 * entry runs instead of after it, when the router first asks for the page.
 */
function comparePageFiles(): Plugin {
  return {
    name: 'swarm-compare-page-files',
    transformIndexHtml: {
      order: 'post',
      handler(html, { bundle }) {
        if (!bundle) return html;
        const chunks = new Map(
          Object.values(bundle).flatMap((file) => (file.type === 'chunk' ? [[file.fileName, file]] : [])),
        );
        const loaded = new Set<string>();
        const markLoaded = (name: string) => {
          if (loaded.has(name)) return;
          loaded.add(name);
          for (const dependency of chunks.get(name)?.imports ?? []) markLoaded(dependency);
        };
        for (const chunk of chunks.values()) if (chunk.isEntry) markLoaded(chunk.fileName);
        const files: string[] = [];
        const collect = (name: string) => {
          if (loaded.has(name)) return;
          loaded.add(name);
          const chunk = chunks.get(name);
          files.push(name, ...(chunk?.viteMetadata?.importedCss ?? []));
          for (const dependency of chunk?.imports ?? []) collect(dependency);
        };
        const page = [...chunks.values()].find((c) =>
          c.facadeModuleId?.endsWith('/src/versions/compare-page.tsx'),
        );
        if (page) collect(page.fileName);
        if (!html.includes(COMPARE_PAGE_FILES))
          throw new Error('index.html: compare page file list not found');
        return html.replace(COMPARE_PAGE_FILES, JSON.stringify(files.map((file) => `/${file}`)));
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), comparePageFiles()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: apiUrl, changeOrigin: false }])),
  },
});
