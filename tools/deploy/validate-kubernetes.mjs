// Validates Kubernetes objects (a JSON array on stdin) against the Kubernetes OpenAPI schemas, strictly,
// and prints {"errors": [...]} on stdout. Two checks, both generated from the upstream OpenAPI document
// by the kubernetes-models package (pinned in package.json):
//   1. schema: each kind's ajv validator (`new Deployment(obj).validate()`): required fields, types,
//      enums, formats (int-or-string, quantities, …);
//   2. strict: the same schemas as TypeScript interfaces; every object is type-checked as an object
//      literal of its kind's interface, so an unknown field at any depth is an error (TypeScript's excess
//      property check), as are a missing required field, a wrong type or a value outside an enum.
// ESM because kubernetes-models is ESM-only (its exports have no `require` condition); the jest spec runs
// this file with `node` (tools/deploy/kubernetes-validator.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const modelsDir = path.dirname(require.resolve('kubernetes-models/package.json', { paths: [process.cwd()] }).replace(/package\.json$/, 'x'));

/** `apps/v1` → `apps/v1`; `v1` (the core group) → `v1`; the module path inside kubernetes-models. */
function modulePath(apiVersion) {
  return apiVersion;
}

async function validateSchema(object) {
  const dir = modulePath(object.apiVersion);
  let Kind;
  try {
    Kind = (await import(`kubernetes-models/${dir}/${object.kind}`))[object.kind];
  } catch {
    return [`unknown kind ${object.apiVersion}/${object.kind}`];
  }
  if (typeof Kind !== 'function') return [`unknown kind ${object.apiVersion}/${object.kind}`];
  try {
    new Kind(object).validate();
    return [];
  } catch (error) {
    return [String(error.message ?? error)];
  }
}

function validateStrict(objects) {
  const lines = ['/* generated */'];
  const starts = [];
  objects.forEach((object, index) => {
    const file = path.join(modelsDir, modulePath(object.apiVersion), `${object.kind}.d.ts`);
    starts.push(lines.length);
    lines.push(`import type { I${object.kind} as T${index} } from ${JSON.stringify(file.replace(/\.d\.ts$/, '.js'))};`);
  });
  const bodyStart = lines.length;
  const owner = [];
  objects.forEach((object, index) => {
    const text = `export const o${index}: T${index} = ${JSON.stringify(object, null, 1)};`.split('\n');
    for (let i = 0; i < text.length; i++) owner.push(index);
    lines.push(...text);
  });
  const name = path.join(modelsDir, '__manifests__.ts');
  const source = lines.join('\n');
  const options = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion) => (fileName === name ? ts.createSourceFile(fileName, source, languageVersion) : getSourceFile(fileName, languageVersion));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === name || fileExists(fileName);
  const program = ts.createProgram([name], options, host);
  const errors = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== name) {
      errors.push({ index: -1, message });
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const index = line >= bodyStart ? owner[line - bodyStart] : starts.findIndex((start) => start === line);
    errors.push({ index, message: `strict: ${message}` });
  }
  return errors;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const errors = [];
for (const [index, object] of objects.entries()) {
  for (const message of await validateSchema(object)) errors.push({ index, message: `schema: ${message}` });
}
errors.push(...validateStrict(objects));
process.stdout.write(JSON.stringify({ errors }));
