// Flat config. The module boundaries are the architecture (see README "Architecture"):
// apps -> features -> protocol core; ports -> contracts. Contracts and the protocol core import no I/O client.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioClients = ['kafkajs', 'ioredis', 'pg', 'ldapts', '@electric-sql/pglite', '@nestjs/*', 'fastify', 'pino', 'testcontainers'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tmp/**', '.nx/**', 'coverage/**', 'bench/results/**', '**/*.cjs', '**/*.mjs', 'jest.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    // NestJS injects by the constructor parameter types that emitDecoratorMetadata records: the
    // type-import rule must know those imports are values.
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:adapter', 'type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:platform', 'type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'type:port', onlyDependOnLibsWithTags: ['type:contracts', 'type:protocol'] },
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: ioClients },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: ioClients },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:adapter', 'type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // The authorize service mints the legacy implicit flow's access tokens with the token feature's
            // AccessTokenModule (same keys, same event), never a copy of the signing code.
            { sourceTag: 'scope:authorize', onlyDependOnLibsWithTags: ['scope:authorize', 'scope:shared', 'scope:token'] },
            { sourceTag: 'scope:token', onlyDependOnLibsWithTags: ['scope:token', 'scope:shared'] },
            { sourceTag: 'scope:introspection', onlyDependOnLibsWithTags: ['scope:introspection', 'scope:shared'] },
            { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared'] },
            { sourceTag: 'scope:revocation', onlyDependOnLibsWithTags: ['scope:revocation', 'scope:shared'] },
            { sourceTag: 'scope:demo-api', onlyDependOnLibsWithTags: ['scope:demo-api', 'scope:shared'] },
            { sourceTag: 'scope:suite', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // Specs may use real adapters and their in-memory twins (a feature's spec runs it on PGlite, say);
    // everything else about the boundaries still holds.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:adapter', 'type:port', 'type:contracts', 'type:protocol', 'type:testing'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:adapter', 'type:platform', 'type:port', 'type:contracts', 'type:protocol', 'type:testing'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:port', 'type:contracts', 'type:protocol'] },
            { sourceTag: 'type:port', onlyDependOnLibsWithTags: ['type:contracts', 'type:protocol'] },
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: ioClients },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: ioClients },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:feature', 'type:platform', 'type:adapter', 'type:port', 'type:contracts', 'type:protocol'] },
          ],
        },
      ],
    },
  },
);
