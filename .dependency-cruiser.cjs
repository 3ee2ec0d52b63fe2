/**
 * Package boundaries `pnpm lint` enforces over the whole repo (source and type imports alike).
 * What the browser editor may load at run time is checked separately, on the runtime graph only:
 * `.dependency-cruiser-web.cjs`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cross-app-source',
      severity: 'error',
      comment:
        'An app reaches another app only through its package (e.g. `@swarm/runner/testing`), never by ' +
        'relative path into its files: what an app offers others is what its package.json exports.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/', dependencyTypes: ['local'] },
    },
    {
      name: 'drizzle-only-in-db',
      severity: 'error',
      comment:
        'SQL lives in @swarm/db: everything else goes through its query functions, so schema and ' +
        'queries change in one package.',
      from: { pathNot: '^packages/db/' },
      to: { path: ['(^|/)node_modules/drizzle-orm/', '^drizzle-orm(/|$)'] },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: ['(^|/)dist/', '^bench/results/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
