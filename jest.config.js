// One jest run covers unit specs (*.spec.ts) and tests against the real services (*.int-spec.ts).
// `npm run test:unit` / `npm run test:int` run either half alone.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const tsJest = ['ts-jest', { tsconfig: { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true, sourceMap: true }, diagnostics: false }];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleNameMapper,
  // jose 6 is ESM-only: transpile it to CommonJS for jest (Node 24 itself requires it natively).
  transform: { '^.+\\.[tj]s$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
};

module.exports = {
  // Global option (jest ignores it inside a project): integration tests wait for real services.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
    },
  ],
};
