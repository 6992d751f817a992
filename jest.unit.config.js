/**
 * The fast tier (`npm run test:unit`): the suites that need no services (no Temporal, MongoDB or Redis).
 * A suite listed here that reaches for the stack fails at once: test/support/stack.ts refuses to run
 * without the stack's environment. `npm test` runs these too, with everything else.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/domain/**/*.test.ts',
    '<rootDir>/test/documents/**/*.test.ts',
    '<rootDir>/test/deploy/**/*.test.ts',
    '<rootDir>/test/workflows/replay.test.ts',
    '<rootDir>/test/api/openapi-coverage.test.ts',
    '<rootDir>/test/structure/import-cycles.test.ts',
    '<rootDir>/test/structure/function-size.test.ts',
    '<rootDir>/test/structure/route-access.test.ts',
    '<rootDir>/test/structure/workflow-bundle.test.ts',
    '<rootDir>/test/connectors/exact-json.test.ts',
    '<rootDir>/test/connectors/shopify-edits.test.ts',
    '<rootDir>/test/console/build.test.ts',
  ],
};
