import { DEFAULT_PORTS, settingsSchema, type ServiceName } from '@authz/platform';
import type { KubernetesObject } from './kustomize-build';

/**
 * The project's rules for a rendered overlay, beyond the Kubernetes schemas; each violation is one
 * readable line (an empty list: the manifests hold). The rules are the README's ("Deploy to Kubernetes").
 */

/** Every setting's name (libs/platform/src/settings.ts), and the OpenTelemetry SDK's standard variables. */
export const SETTING_NAMES: ReadonlySet<string> = new Set(Object.keys(settingsSchema.shape));
export function isKnownEnvName(name: string): boolean {
  return SETTING_NAMES.has(name) || /^OTEL_[A-Z0-9_]+$/.test(name);
}

/** The public endpoints and the service each is routed to (README "Architecture"). */
export const PUBLIC_ROUTES: Readonly<Record<string, { service: string; pathType: 'Exact' | 'Prefix' }>> = {
  '/token': { service: 'token', pathType: 'Exact' },
  '/register': { service: 'token', pathType: 'Prefix' },
  '/jwks': { service: 'token', pathType: 'Exact' },
  '/.well-known/oauth-authorization-server': { service: 'token', pathType: 'Exact' },
  '/introspect': { service: 'introspection', pathType: 'Exact' },
  '/authorize': { service: 'authorize', pathType: 'Prefix' },
  '/revoke': { service: 'revocation', pathType: 'Exact' },
  '/account': { service: 'revocation', pathType: 'Prefix' },
};
/** Never routed by the ingress. */
export const INTERNAL_PATHS = ['/verify', '/internal', '/metrics'];
/** Services that scale alone on their own autoscaler. */
export const AUTOSCALED = ['token', 'introspection'];
/** Settings that are secrets (or may carry a password): only ever from a Secret, never a literal or a ConfigMap. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'DATABASE_URL', 'REDIS_URL', 'KEY_ENCRYPTION_KEY', 'CLIENT_SECRET_PEPPER', 'SESSION_KEYS', 'IDENTITY_INTERNAL_TOKEN', 'LDAP_BIND_PASSWORD',
  'REGISTRATION_INITIAL_ACCESS_TOKEN', 'LDAP_DIAGNOSTICS_TOKEN', 'RESOURCE_INTROSPECTION_CLIENT_SECRET',
]);
/** The Secret the workloads read; production commits none (the platform creates it). */
export const SECRET_NAME = 'authz-secrets';

type Json = Record<string, unknown>;
type Container = { name: string; image?: string; ports?: { name?: string; containerPort: number }[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; startupProbe?: Probe; readinessProbe?: Probe; livenessProbe?: Probe; resources?: { requests?: Json; limits?: Json }; securityContext?: Json & { capabilities?: { drop?: string[] } }; lifecycle?: { preStop?: { exec?: { command?: string[] } } }; volumeMounts?: { name: string; mountPath: string }[] };
type Probe = { httpGet?: { path?: string; port?: string | number } };
type PodSpec = { containers: Container[]; securityContext?: Json & { seccompProfile?: { type?: string } }; automountServiceAccountToken?: boolean; serviceAccountName?: string; terminationGracePeriodSeconds?: number; topologySpreadConstraints?: unknown[]; volumes?: { name: string; emptyDir?: unknown }[] };
type Workload = KubernetesObject & { spec: { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } } };
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Whether a label selector selects these labels (matchLabels and matchExpressions In / NotIn / Exists). */
export function selects(selector: Selector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) =>
    operator === 'In' ? values.includes(labels[key] ?? '\u0000') : operator === 'NotIn' ? !values.includes(labels[key] ?? '\u0000') : operator === 'Exists' ? key in labels : !(key in labels),
  );
  return byLabels && byExpressions;
}

function ofKind<T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

/** Checks a rendered overlay. `production`: no Secret object may be committed. */
export function checkDeploymentRules(objects: KubernetesObject[], options: { production: boolean }): string[] {
  const problems: string[] = [];
  const deployments = ofKind<Workload>(objects, 'Deployment');
  const jobs = ofKind<Workload>(objects, 'Job');
  const configMaps = ofKind<KubernetesObject & { data?: Record<string, string> }>(objects, 'ConfigMap');
  const secrets = ofKind<KubernetesObject & { data?: Record<string, string>; stringData?: Record<string, string> }>(objects, 'Secret');

  // Settings by their real names.
  for (const configMap of configMaps) {
    for (const key of Object.keys(configMap.data ?? {})) {
      if (!isKnownEnvName(key)) problems.push(`ConfigMap ${configMap.metadata.name}: ${key} is not a setting`);
      if (SECRET_SETTINGS.has(key)) problems.push(`ConfigMap ${configMap.metadata.name}: ${key} is a secret, it belongs in a Secret`);
    }
  }
  for (const secret of secrets) {
    for (const key of Object.keys({ ...secret.data, ...secret.stringData })) if (!isKnownEnvName(key)) problems.push(`Secret ${secret.metadata.name}: ${key} is not a setting`);
  }
  if (options.production && secrets.length > 0) problems.push(`production commits Secret ${secrets.map((secret) => secret.metadata.name).join(', ')}: secrets are created by the platform, never committed`);

  for (const workload of [...deployments, ...jobs]) {
    const where = `${workload.kind} ${workload.metadata.name}`;
    const pod = workload.spec.template.spec;
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod securityContext.runAsNonRoot must be true`);
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: pod seccompProfile must be RuntimeDefault`);
    if (pod.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken must be false`);
    const account = objects.find((object) => object.kind === 'ServiceAccount' && object.metadata.name === pod.serviceAccountName) as (KubernetesObject & { automountServiceAccountToken?: boolean }) | undefined;
    if (!account) problems.push(`${where}: no ServiceAccount ${pod.serviceAccountName ?? '(none named)'}`);
    else if (account.automountServiceAccountToken !== false) problems.push(`ServiceAccount ${account.metadata.name}: automountServiceAccountToken must be false`);
    for (const container of pod.containers) {
      const at = `${where} container ${container.name}`;
      const security = container.securityContext ?? {};
      if (security.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
      if (security.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
      if (!security.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
      if (security.privileged === true) problems.push(`${at}: must not be privileged`);
      for (const bound of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) if (container.resources?.[bound]?.[resource] === undefined) problems.push(`${at}: resources.${bound}.${resource} missing`);
      }
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      if (!tmp || !pod.volumes?.some((volume) => volume.name === tmp.name && volume.emptyDir !== undefined)) problems.push(`${at}: /tmp must be an emptyDir (read-only root filesystem)`);
      const image = container.image ?? '';
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      if (!tag || tag === 'latest') problems.push(`${at}: image ${image} must have an explicit tag other than latest`);
      for (const variable of container.env ?? []) {
        if (!isKnownEnvName(variable.name)) problems.push(`${at}: env ${variable.name} is not a setting`);
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) {
          if (!isKnownEnvName(ref.key)) problems.push(`${at}: secret key ${ref.key} is not a setting`);
          if (options.production && ref.name !== SECRET_NAME) problems.push(`${at}: reads Secret ${ref.name}, not ${SECRET_NAME}`);
          if (!options.production && !secrets.some((secret) => secret.metadata.name === ref.name && ref.key in { ...secret.data, ...secret.stringData }) && !(variable.valueFrom?.secretKeyRef as { optional?: boolean }).optional) {
            problems.push(`${at}: Secret ${ref.name} has no key ${ref.key}`);
          }
        }
        if (variable.value !== undefined && SECRET_SETTINGS.has(variable.name)) problems.push(`${at}: ${variable.name} must come from a Secret, not a literal value`);
      }
    }
  }

  const hpas = ofKind<KubernetesObject & { apiVersion: string; spec: { scaleTargetRef: { kind: string; name: string }; minReplicas?: number } }>(objects, 'HorizontalPodAutoscaler');
  const pdbs = ofKind<KubernetesObject & { spec: { selector?: Selector; minAvailable?: unknown; maxUnavailable?: unknown } }>(objects, 'PodDisruptionBudget');
  const services = ofKind<KubernetesObject & { spec: { selector?: Record<string, string>; sessionAffinity?: string; ports?: { name?: string; port: number; targetPort?: string | number }[] } }>(objects, 'Service');
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const where = `Deployment ${name}`;
    const pod = deployment.spec.template.spec;
    const podLabels = deployment.spec.template.metadata?.labels ?? {};
    if (!deployment.spec.selector?.matchLabels || !Object.entries(deployment.spec.selector.matchLabels).every(([key, value]) => podLabels[key] === value)) problems.push(`${where}: selector.matchLabels must select its own pod template`);
    const container = pod.containers.find((candidate) => candidate.name === name);
    if (!container) {
      problems.push(`${where}: no container named ${name}`);
      continue;
    }
    const port = DEFAULT_PORTS[name as ServiceName];
    if (port === undefined) problems.push(`${where}: not a service of the suite`);
    const http = container.ports?.find((candidate) => candidate.name === 'http');
    if (!http || http.containerPort !== port) problems.push(`${where}: container port http must be ${port} (the service's default port), not ${http?.containerPort}`);
    const probes: [keyof Container, string][] = [['startupProbe', '/healthz/live'], ['readinessProbe', '/healthz/ready'], ['livenessProbe', '/healthz/live']];
    for (const [probe, path] of probes) {
      const get = (container[probe] as Probe | undefined)?.httpGet;
      if (!get) problems.push(`${where}: ${probe} missing`);
      else if (get.path !== path || (get.port !== 'http' && get.port !== port)) problems.push(`${where}: ${probe} must GET ${path} on port http, not ${get.path} on ${get.port}`);
    }
    const sleep = container.lifecycle?.preStop?.exec?.command;
    const sleepSeconds = sleep?.[0] === 'sleep' ? Number(sleep[1]) : NaN;
    if (!(sleepSeconds > 0)) problems.push(`${where}: preStop must sleep (graceful drain)`);
    else if (!((pod.terminationGracePeriodSeconds ?? 30) > sleepSeconds + 10)) problems.push(`${where}: terminationGracePeriodSeconds must exceed the preStop sleep by more than 10 s`);
    if (!pod.topologySpreadConstraints?.length) problems.push(`${where}: topologySpreadConstraints missing`);
    const otel = container.env?.find((variable) => variable.name === 'OTEL_SERVICE_NAME');
    if (otel?.value !== `authz-${name}`) problems.push(`${where}: OTEL_SERVICE_NAME must be authz-${name}`);
    const annotations = deployment.spec.template.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/port'] !== String(port) || annotations['prometheus.io/path'] !== '/metrics') problems.push(`${where}: Prometheus scrape annotations must name /metrics on port ${port}`);
    if (!pdbs.some((pdb) => selects(pdb.spec.selector, podLabels))) problems.push(`${where}: no PodDisruptionBudget`);
    const service = services.find((candidate) => candidate.metadata.name === name);
    if (!service) problems.push(`${where}: no Service ${name}`);
    else {
      if (!Object.entries(service.spec.selector ?? { none: '' }).every(([key, value]) => podLabels[key] === value)) problems.push(`Service ${name}: selector does not select the Deployment's pods`);
      if (!service.spec.ports?.some((servicePort) => servicePort.port === port && servicePort.targetPort === 'http')) problems.push(`Service ${name}: must expose port ${port} to the container port http`);
    }
    const autoscaler = hpas.find((hpa) => hpa.spec.scaleTargetRef.kind === 'Deployment' && hpa.spec.scaleTargetRef.name === name);
    if (AUTOSCALED.includes(name)) {
      if (!autoscaler) problems.push(`${where}: no HorizontalPodAutoscaler`);
      else if (autoscaler.apiVersion !== 'autoscaling/v2') problems.push(`HorizontalPodAutoscaler ${autoscaler.metadata.name}: must be autoscaling/v2`);
      if (deployment.spec.replicas !== undefined) problems.push(`${where}: replicas must be left to its HorizontalPodAutoscaler`);
    }
  }
  for (const service of services) {
    if (service.spec.sessionAffinity !== undefined && service.spec.sessionAffinity !== 'None') problems.push(`Service ${service.metadata.name}: no session affinity (the services are stateless)`);
  }

  problems.push(...checkIngress(objects));
  problems.push(...checkNetworkPolicies(objects));
  return problems;
}

type IngressObject = KubernetesObject & { spec: { rules?: { host?: string; http?: { paths: { path?: string; pathType: string; backend: { service?: { name: string } } }[] } }[]; defaultBackend?: unknown } };

function checkIngress(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const ingresses = ofKind<IngressObject>(objects, 'Ingress');
  if (ingresses.length === 0) problems.push('no Ingress');
  const routed = new Map<string, { service: string; pathType: string }>();
  for (const ingress of ingresses) {
    const where = `Ingress ${ingress.metadata.name}`;
    if (ingress.spec.defaultBackend !== undefined) problems.push(`${where}: no default backend (it would route every path)`);
    for (const [key, value] of Object.entries(ingress.metadata.annotations ?? {})) {
      if (/affinity|sticky|session-cookie|configuration-snippet|server-snippet|rewrite-target/i.test(key)) problems.push(`${where}: annotation ${key}=${value} is not allowed (no sticky sessions, no path rewriting)`);
    }
    for (const rule of ingress.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const value = path.path ?? '/';
        if (path.pathType !== 'Exact' && path.pathType !== 'Prefix') problems.push(`${where}: ${value} must be Exact or Prefix, not ${path.pathType}`);
        for (const internal of INTERNAL_PATHS) {
          if (value === internal || value.startsWith(`${internal}/`) || value === '/' || internal.startsWith(value.endsWith('/') ? value : `${value}/`)) problems.push(`${where}: routes ${value}, which exposes ${internal}`);
        }
        routed.set(value, { service: path.backend.service?.name ?? '(none)', pathType: path.pathType });
      }
    }
  }
  for (const [path, expected] of Object.entries(PUBLIC_ROUTES)) {
    const actual = routed.get(path);
    if (!actual) problems.push(`Ingress: ${path} is not routed`);
    else if (actual.service !== expected.service || actual.pathType !== expected.pathType) problems.push(`Ingress: ${path} must go to ${expected.service} (${expected.pathType}), not ${actual.service} (${actual.pathType})`);
  }
  for (const path of routed.keys()) if (!(path in PUBLIC_ROUTES)) problems.push(`Ingress: ${path} is not a public endpoint`);
  return problems;
}

type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown };
type Policy = KubernetesObject & { spec: { podSelector: Selector; policyTypes?: string[]; ingress?: { from?: Peer[] }[] } };

function checkNetworkPolicies(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const policies = ofKind<Policy>(objects, 'NetworkPolicy');
  const denyAll = policies.some((policy) => Object.keys(policy.spec.podSelector).length === 0 && ['Ingress', 'Egress'].every((type) => policy.spec.policyTypes?.includes(type)) && !policy.spec.ingress?.length);
  if (!denyAll) problems.push('NetworkPolicy: no default deny (empty podSelector, Ingress and Egress, no rule)');
  const identity = { 'app.kubernetes.io/name': 'identity' };
  const prometheus: Peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
  for (const policy of policies) {
    if (!selects(policy.spec.podSelector, identity) && Object.keys(policy.spec.podSelector).length > 0) continue;
    for (const rule of policy.spec.ingress ?? []) {
      for (const peer of rule.from ?? [{}]) {
        if (JSON.stringify(peer) === JSON.stringify(prometheus)) continue;
        const callers = ['authorize', 'token'];
        const onlyCallers = peer.namespaceSelector === undefined && peer.ipBlock === undefined && peer.podSelector !== undefined && !selects(peer.podSelector, {}) &&
          (peer.podSelector.matchLabels?.['app.kubernetes.io/name'] !== undefined ? callers.includes(peer.podSelector.matchLabels['app.kubernetes.io/name']) : peer.podSelector.matchExpressions?.every((expression) => expression.key === 'app.kubernetes.io/name' && expression.operator === 'In' && expression.values?.every((value) => callers.includes(value))) === true);
        if (!onlyCallers) problems.push(`NetworkPolicy ${policy.metadata.name}: lets ${JSON.stringify(peer)} reach identity (only authorize and token may)`);
      }
    }
  }
  return problems;
}
