import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { KubernetesObject } from './kustomize-build';

export type SchemaError = { kind: string; name: string; message: string };

/**
 * Validates objects against the Kubernetes OpenAPI schemas, strictly (an unknown field is an error, like
 * kubeconform -strict): validate-kubernetes.mjs, run by node because kubernetes-models is ESM-only.
 */
export function validateKubernetes(objects: KubernetesObject[]): SchemaError[] {
  const result = spawnSync(process.execPath, [join(__dirname, 'validate-kubernetes.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    cwd: join(__dirname, '..', '..'),
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`validate-kubernetes.mjs failed: ${result.error?.message ?? result.stderr}`);
  const { errors } = JSON.parse(result.stdout) as { errors: { index: number; message: string }[] };
  return errors.map(({ index, message }) => ({ kind: objects[index]?.kind ?? '?', name: objects[index]?.metadata?.name ?? '?', message }));
}
