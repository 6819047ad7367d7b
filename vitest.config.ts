import { defineConfig } from 'vitest/config';

/** The suites that run a second time with every PAYJS API request served by koa
 * (`PAYJS_TEST_API_PATH=koa`, see PATH in test/support.ts): the lean path's answers must pass
 * them as koa's do. test/lean-api.test.ts sends the fuzz suite's hostile requests to both paths
 * side by side and compares answers and state; fuzz.test.ts itself runs once (its 'nothing
 * stored when refused' can meet a scenario rule an earlier hostile call added, on either path). */
const API_SUITES = ['api-create', 'api-merchant', 'api-orders', 'bad-input', 'transports', 'body-limits'].map((f) => `test/${f}.test.ts`);

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
