// One jest run covers unit specs (*.spec.ts) and tests against the real services (*.int-spec.ts).
// `npm run test:unit` / `npm run test:int` run either half alone.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const tsJest = ['ts-jest', { tsconfig: { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, sourceMap: true }, diagnostics: false }];

if (!`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('--experimental-vm-modules')) {
  throw new Error('run jest through the npm scripts (npm test, npm run test:unit, npm run test:int): it needs NODE_OPTIONS=--experimental-vm-modules');
}

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleNameMapper,
  // Our TypeScript is compiled to CommonJS; ESM-only packages (jose 6) load natively through the VM
  // modules API, which is why jest must run with --experimental-vm-modules (PGlite needs it too).
  transform: { '^.+\\.ts$': tsJest },
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
