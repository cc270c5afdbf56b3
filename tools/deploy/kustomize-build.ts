import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as rendered (plain JSON). */
export type KubernetesObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

/**
 * Renders a kustomization with the real kustomize: `kubectl kustomize` (kustomize v5 built into kubectl;
 * every machine image of this project has kubectl, from the google-cloud-cli package). No subset
 * re-implementation, so what the tests validate is exactly what `kubectl apply -k` would send.
 */
export function kustomizeBuild(dir: string): KubernetesObject[] {
  // No kubeconfig: rendering needs no cluster, and must not look at the developer's (gcloud's kubectl
  // dispatcher would pick a version from the server's).
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } });
  if (result.error) throw new Error(`kubectl kustomize ${dir}: ${result.error.message} (kubectl, with its built-in kustomize, is required)`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr.trim()}`);
  return parseManifests(result.stdout);
}

/** Multi-document YAML → objects; a YAML error is thrown, never skipped. */
export function parseManifests(text: string): KubernetesObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`YAML: ${document.errors.map((error) => error.message).join('; ')}`);
    const value = document.toJS() as KubernetesObject | null;
    return value === null ? [] : [value];
  });
}
