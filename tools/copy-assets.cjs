// Copies the non-TypeScript files the compiled code reads at run time (SQL migrations, page templates) into dist/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const assets = [
  ['libs/adapters/src/postgres/migrations', 'dist/libs/adapters/src/postgres/migrations'],
  // The login, consent and error pages (templates and CSS) of the authorize service.
  ['libs/authorize/ui', 'dist/libs/authorize/ui'],
];
for (const [from, to] of assets) {
  fs.rmSync(path.join(root, to), { recursive: true, force: true });
  fs.cpSync(path.join(root, from), path.join(root, to), { recursive: true });
}
