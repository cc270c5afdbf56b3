// Validates Kubernetes objects (a JSON array on stdin) against the Kubernetes OpenAPI schemas, strictly,
// and prints {"errors": [{index, message}]} on stdout. Two checks, both generated from the upstream
// OpenAPI document by the kubernetes-models package (pinned in package.json):
//   1. schema: each kind's ajv validator (`new Deployment(obj).validate()`): required fields, types,
//      enums, formats (int-or-string, quantities, base64, …);
//   2. strict: the same schemas as TypeScript interfaces; every object is type-checked as an object
//      literal of its kind's interface, so an unknown field at any depth is an error (TypeScript's excess
//      property check), like kubeconform -strict; so are a missing required field, a wrong type or a
//      value outside an enum.
// An apiVersion/kind kubernetes-models does not know is an error. ESM because kubernetes-models is
// ESM-only (its exports have no `require` condition); tools/deploy/kubernetes-validator.ts runs it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const modelsDir = path.dirname(require.resolve('kubernetes-models/package.json'));

/** The module of a kind in kubernetes-models (`apps/v1/Deployment`, `v1/Service`), or undefined. */
function modelPath(object) {
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== 'string' || !/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return undefined;
  if (typeof kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  return `${apiVersion}/${kind}`;
}

async function validateSchema(object) {
  const model = modelPath(object);
  let Kind;
  try {
    Kind = model === undefined ? undefined : (await import(`kubernetes-models/${model}`))[object.kind];
  } catch {
    Kind = undefined;
  }
  if (typeof Kind !== 'function') return { known: false, errors: [`unknown kind ${object?.apiVersion}/${object?.kind}`] };
  try {
    new Kind(object).validate();
    return { known: true, errors: [] };
  } catch (error) {
    return { known: true, errors: [String(error?.message ?? error)] };
  }
}

function validateStrict(entries) {
  const imports = entries.map(({ index, object }) => `import type { I${object.kind} as T${index} } from ${JSON.stringify(path.join(modelsDir, `${modelPath(object)}.js`))};`);
  const lines = ['/* generated */', ...imports];
  const owner = [];
  for (const { index, object } of entries) {
    const text = `export const o${index}: T${index} = ${JSON.stringify(object, null, 1)};`.split('\n');
    for (const line of text) {
      owner.push(index);
      lines.push(line);
    }
  }
  const bodyStart = 1 + imports.length;
  const name = path.join(modelsDir, '__manifests__.ts');
  const source = lines.join('\n');
  const options = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => (fileName === name ? ts.createSourceFile(fileName, source, languageVersion) : getSourceFile(fileName, languageVersion, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === name || fileExists(fileName);
  const program = ts.createProgram([name], options, host);
  const errors = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== name) {
      errors.push({ index: -1, message: `strict: ${message}` });
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const index = line >= bodyStart ? owner[line - bodyStart] : entries[line - 1]?.index ?? -1;
    errors.push({ index, message: `strict: ${message}` });
  }
  return errors;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
// kustomize wraps long base64 values of a Secret's data at 76 characters; the API server's decoder
// (Go's encoding/base64) ignores those line breaks, the schema's "byte" format does not: unwrap them.
for (const object of objects) {
  if (object?.kind === 'Secret' && object.data && typeof object.data === 'object') {
    for (const [key, value] of Object.entries(object.data)) if (typeof value === 'string') object.data[key] = value.replace(/\r?\n/g, '');
  }
}
const errors = [];
const known = [];
for (const [index, object] of objects.entries()) {
  const result = await validateSchema(object);
  for (const message of result.errors) errors.push({ index, message: `schema: ${message}` });
  if (result.known) known.push({ index, object });
}
errors.push(...validateStrict(known));
process.stdout.write(JSON.stringify({ errors }));
