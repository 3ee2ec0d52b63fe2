/**
 * What the browser editor (apps/web/src, tests aside: they run in Node) may load at run time.
 * Cruised on the runtime graph (`tsPreCompilationDeps: false`, compiled with the web tsconfig, as
 * Vite compiles it), so `import type { AppRouter } from '@swarm/api'` is fine and any value import
 * that leads, however indirectly, to Node or the server is not. Repo-wide rules:
 * `.dependency-cruiser.cjs`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const { builtinModules } = require('node:module');

// `node:fs`, and the bare `fs`, `fs/promises`… of modules that predate the prefix.
const bareBuiltins = builtinModules.filter((name) => /^[a-z_0-9]+$/.test(name) && !name.startsWith('_'));
const serverPackages = ['pg-boss', 'fastify', '@fastify/[^/]+', 'postgres', 'drizzle-orm', 'pino-pretty'];

module.exports = {
  forbidden: [
    {
      name: 'web-runs-in-the-browser',
      severity: 'error',
      comment:
        'The editor runs in the browser: nothing it loads may need Node built-ins, the database, the ' +
        'API or runner apps, `@swarm/engine/server` or `@swarm/providers/store`.',
      from: { path: '^apps/web/src/', pathNot: '\\.test\\.tsx?$' },
      to: {
        reachable: true,
        path: [
          '^node:',
          `^(${bareBuiltins.join('|')})(/|$)`,
          '^apps/(api|runner)/',
          '^packages/db/',
          '^packages/engine/src/server\\.ts$',
          '^packages/providers/src/store/',
          `(^|/)node_modules/(${serverPackages.join('|')})/`,
          `^(${serverPackages.join('|')})(/|$)`,
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: ['(^|/)dist/', '\\.test\\.tsx?$'] },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'apps/web/tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'browser', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
