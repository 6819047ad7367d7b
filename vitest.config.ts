import { defineConfig } from 'vitest/config';

/** The suites that run a second time with every PAYJS API request served by koa
 * (`PAYJS_TEST_API_PATH=koa`, see PATH in test/support.ts): the lean path's answers must pass
 * them as koa's do; test/lean-api.test.ts compares the two side by side. */
const API_SUITES = ['api-create', 'api-merchant', 'api-orders', 'bad-input', 'transports', 'fuzz', 'body-limits'].map((f) => `test/${f}.test.ts`);

export default defineConfig({
  test: {
    // dist/ is built once before the tests (the CLI binary and the package's subpaths run from it).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'sandbox', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'koa-path', include: API_SUITES, env: { PAYJS_TEST_API_PATH: 'koa' } } },
    ],
  },
});
