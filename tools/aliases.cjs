// Resolves the workspace's `@authz/<lib>` imports to the compiled libs in dist/ at run time.
// tsconfig.base.json `paths` does the same at compile time and jest's moduleNameMapper in tests.
// (The libs are not published packages; this keeps one `tsc` build and no bundler, which would lose
// the decorator metadata NestJS injection relies on.)
'use strict';
const Module = require('node:module');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveWorkspaceAlias(request, ...rest) {
  // `@authz/<lib>` and a lib's secondary entry point `@authz/<lib>/<entry>` (resource-server/nestjs).
  const match = /^@authz\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(request);
  if (match) return original.call(this, path.join(dist, 'libs', match[1], 'src', ...(match[2] ? [match[2]] : []), 'index.js'), ...rest);
  return original.call(this, request, ...rest);
};
