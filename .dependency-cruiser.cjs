/**
 * The layers of src/ and the one way their imports point (CONTRIBUTING.md, "Layers"):
 * cli → sandbox → http → app → core; store, notify and clock are handed to the use cases.
 * `npm test` runs it (`npm run lint:deps`); dependency-cruiser reads the TypeScript imports,
 * type-only ones included, so a type reaching up a layer is caught too.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is the pure domain: it imports only itself and node built-ins (no koa, lowdb, undici, no other layer).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'app-below-transports',
      comment: 'The use cases (src/app) know no transport: they do not import src/http or src/cli.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(http|cli)/' },
    },
    {
      name: 'collaborators-below-app',
      comment: 'store, notify and clock are handed to the use cases: they do not import src/app or src/http.',
      severity: 'error',
      from: { path: '^src/(store|notify|clock)/' },
      to: { path: '^src/(app|http)/' },
    },
    {
      name: 'http-below-cli',
      comment: 'The HTTP layer does not import the CLI.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other cannot be read, tested or replaced one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
