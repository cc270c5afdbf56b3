import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { loadSettings, type ServiceName } from '@authz/platform';
import { checkDeploymentRules } from './deployment-rules';
import { kustomizeBuild, type KubernetesObject } from './kustomize-build';
import { validateKubernetes } from './kubernetes-validator';

// deploy/kubernetes: the base and each overlay, rendered by the real kustomize, validated strictly
// against the Kubernetes OpenAPI schemas and against the project's rules (deployment-rules.ts).

const root = join(__dirname, '..', '..');
const dir = (path: string) => join(root, 'deploy', 'kubernetes', path);
const rendered: Record<string, KubernetesObject[]> = {
  base: kustomizeBuild(dir('base')),
  dev: kustomizeBuild(dir('overlays/dev')),
  production: kustomizeBuild(dir('overlays/production')),
};
const clone = <T>(value: T): T => structuredClone(value);
/** One object by kind and name, loosely typed: the tests below reach into it and break it on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const find = (objects: KubernetesObject[], kind: string, name: string): any => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('deploy/kubernetes', () => {
  it('renders what each overlay promises', () => {
    const summary = (objects: KubernetesObject[]) => objects.map((object) => `${object.kind}/${['ConfigMap', 'Secret'].includes(object.kind) ? object.metadata.name.replace(/-[a-z0-9]{10}$/, '-<hash>') : object.metadata.name}`).sort();
    const services = ['authorize', 'identity', 'introspection', 'revocation', 'token'];
    const common = [
      ...services.flatMap((name) => [`Deployment/${name}`, `PodDisruptionBudget/${name}`, `Service/${name}`, `ServiceAccount/${name}`]),
      'ConfigMap/authz-config-<hash>', 'HorizontalPodAutoscaler/introspection', 'HorizontalPodAutoscaler/token', 'Ingress/authz', 'Job/authz-migrate', 'ServiceAccount/authz-migrate',
      ...['allow-dns', 'authorize-and-token-to-identity', 'default-deny', 'egress-kafka', 'egress-ldap', 'egress-postgresql', 'egress-redis', 'identity-from-authorize-and-token', 'introspection-from-resource-servers', 'metrics-from-prometheus', 'public-from-ingress-controller'].map((name) => `NetworkPolicy/${name}`),
    ];
    expect(summary(rendered.base!)).toEqual([...common].sort());
    expect(summary(rendered.production!)).toEqual([...common, 'Namespace/authz'].sort());
    expect(summary(rendered.dev!)).toEqual([...common, 'Namespace/authz-dev', 'Secret/authz-secrets-<hash>', 'Deployment/demo-api', 'PodDisruptionBudget/demo-api', 'Service/demo-api', 'ServiceAccount/demo-api', 'NetworkPolicy/demo-api-to-token-and-introspection'].sort());
    expect(new Set(rendered.production!.map((object) => object.metadata.namespace ?? (object.kind === 'Namespace' ? 'authz' : '(none)')))).toEqual(new Set(['authz']));
    expect(new Set(rendered.dev!.map((object) => object.metadata.namespace ?? (object.kind === 'Namespace' ? 'authz-dev' : '(none)')))).toEqual(new Set(['authz-dev']));
  });

  it.each(Object.keys(rendered))('%s: every object is valid against the Kubernetes schemas, strictly', (name) => {
    expect(validateKubernetes(rendered[name]!)).toEqual([]);
  });

  it.each(['dev', 'production'])('%s: holds the project rules', (name) => {
    expect(checkDeploymentRules(rendered[name]!, { production: name === 'production' })).toEqual([]);
  });

  it('production commits no Secret: every secret is read from authz-secrets, which the platform creates', () => {
    const objects = rendered.production!;
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    const references = JSON.stringify(objects).match(/"secretKeyRef":\{[^}]*\}/g) ?? [];
    expect(references.length).toBeGreaterThan(10);
    expect(new Set(references.map((reference) => /"name":"([^"]+)"/.exec(reference)?.[1]))).toEqual(new Set(['authz-secrets']));
    // The seed clients (demo secrets) are replaced by the platform's clients file.
    for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
      expect(JSON.stringify(deployment)).toContain('"configMap":{"name":"authz-clients"}');
    }
    expect(find(objects, 'ConfigMap', find(objects, 'Deployment', 'token').spec.template.spec.containers[0].envFrom[0].configMapRef.name).data.CLIENTS_FILE).toBe('/etc/authz/clients/clients.json');
  });

  /** Each Deployment's environment as the kubelet would build it: the ConfigMap, its env, the Secret's keys. */
  function environments(objects: KubernetesObject[], secret: Record<string, string>): [string, Record<string, string>][] {
    return objects.filter((object) => object.kind === 'Deployment').map((deployment) => {
      const container = (deployment as any).spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
      const env: Record<string, string> = { ...find(objects, 'ConfigMap', container.envFrom[0].configMapRef.name).data };
      for (const variable of container.env) {
        if (variable.value !== undefined) env[variable.name] = variable.value;
        else if (variable.valueFrom.secretKeyRef) {
          const value = secret[variable.valueFrom.secretKeyRef.key];
          if (value !== undefined) env[variable.name] = value;
          else if (!variable.valueFrom.secretKeyRef.optional) throw new Error(`${deployment.metadata.name}: the Secret has no ${variable.valueFrom.secretKeyRef.key}`);
        } else if (variable.valueFrom.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = `${deployment.metadata.name}-7d9f8c6b5-x2x4q`;
        else throw new Error(`${deployment.metadata.name}: unexpected env source for ${variable.name}`);
      }
      return [deployment.metadata.name, env];
    });
  }

  it('dev: each service starts with its settings (the ConfigMap, the placeholder Secret, its env) as loadSettings validates them', () => {
    const objects = rendered.dev!;
    const secret = objects.find((object) => object.kind === 'Secret') as KubernetesObject & { data: Record<string, string> };
    const decoded = Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    const checked = environments(objects, decoded);
    expect(checked.map(([name]) => name).sort()).toEqual(['authorize', 'demo-api', 'identity', 'introspection', 'revocation', 'token']);
    for (const [name, env] of checked) expect(() => loadSettings(name as ServiceName, env)).not.toThrow();
  });

  it('production: each service starts with its settings once the Secret of the platform holds the documented keys', () => {
    const key = (fill: number) => Buffer.alloc(32, fill).toString('base64url');
    const secret = {
      DATABASE_URL: 'postgres://authz:secret@postgres.example.org:5432/authz', REDIS_URL: 'redis://:secret@redis.example.org:6379',
      KEY_ENCRYPTION_KEY: key(1), CLIENT_SECRET_PEPPER: key(2), SESSION_KEYS: key(3), IDENTITY_INTERNAL_TOKEN: key(4), LDAP_BIND_PASSWORD: 'secret',
    };
    const checked = environments(rendered.production!, secret);
    expect(checked.map(([name]) => name).sort()).toEqual(['authorize', 'identity', 'introspection', 'revocation', 'token']);
    for (const [name, env] of checked) {
      expect(env.ISSUER).toBe('https://auth.example.org');
      expect(() => loadSettings(name as ServiceName, env)).not.toThrow();
    }
    // Without SESSION_KEYS the login pages refuse to start on a public issuer: the Secret must carry it.
    expect(() => environments(rendered.production!, { ...secret, SESSION_KEYS: undefined } as unknown as Record<string, string>)).toThrow('authorize: the Secret has no SESSION_KEYS');
  });

  describe('the checks bite', () => {
    it('an unknown field, a wrong type and a missing required field are schema errors', () => {
      const objects = clone(rendered.production!);
      const token = find(objects, 'Deployment', 'token');
      token.spec.template.spec.containers[0].readinesProbe = token.spec.template.spec.containers[0].readinessProbe;
      const ingress = find(objects, 'Ingress', 'authz');
      ingress.spec.rules[0].http.paths[0].backend.service.port.number = 'eighty';
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'token');
      delete hpa.spec.maxReplicas;
      const service = find(objects, 'Service', 'identity');
      service.spec.ports[0].protocl = 'TCP';
      const errors = validateKubernetes([token, ingress, hpa, service]);
      expect(errors.map((error) => `${error.kind}/${error.name}`)).toEqual(expect.arrayContaining(['Deployment/token', 'Ingress/authz', 'HorizontalPodAutoscaler/token', 'Service/identity']));
      expect(errors.find((error) => error.kind === 'Deployment')?.message).toMatch(/readinesProbe/);
      expect(errors.find((error) => error.kind === 'Service')?.message).toMatch(/protocl/);
      expect(errors.filter((error) => error.kind === 'HorizontalPodAutoscaler').map((error) => error.message).join(' ')).toMatch(/maxReplicas/);
      expect(errors.filter((error) => error.kind === 'Ingress').map((error) => error.message).join(' ')).toMatch(/number|integer/);
      expect(validateKubernetes([{ apiVersion: 'apps/v1', kind: 'Deployent', metadata: { name: 'x' } }])[0]?.message).toMatch(/unknown kind apps\/v1\/Deployent/);
    });

    it('a /verify, /internal or /metrics route, a catch-all or sticky sessions are refused', () => {
      for (const [path, pathType] of [['/verify', 'Exact'], ['/internal', 'Prefix'], ['/internal/v1/authenticate', 'Exact'], ['/metrics', 'Exact'], ['/', 'Prefix']]) {
        const objects = clone(rendered.production!);
        find(objects, 'Ingress', 'authz').spec.rules[0].http.paths.push({ path, pathType, backend: { service: { name: 'introspection', port: { name: 'http' } } } });
        expect(checkDeploymentRules(objects, { production: true })).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`routes ${path}, which exposes`))]));
      }
      const sticky = clone(rendered.production!);
      find(sticky, 'Ingress', 'authz').metadata.annotations = { 'nginx.ingress.kubernetes.io/affinity': 'cookie' };
      find(sticky, 'Service', 'token').spec.sessionAffinity = 'ClientIP';
      expect(checkDeploymentRules(sticky, { production: true })).toEqual([
        'Service token: no session affinity (the services are stateless)',
        'Ingress authz: annotation nginx.ingress.kubernetes.io/affinity=cookie is not allowed (no sticky sessions, no path rewriting)',
      ]);
      const misrouted = clone(rendered.production!);
      find(misrouted, 'Ingress', 'authz').spec.rules[0].http.paths[0].backend.service.name = 'introspection';
      expect(checkDeploymentRules(misrouted, { production: true })).toEqual(['Ingress: /token must go to token (Exact), not introspection (Exact)']);
    });

    it('a missing probe, a probe on the wrong path, no limits, a writable root, a wrong port or a selector that misses its pods are refused', () => {
      const objects = clone(rendered.production!);
      const container = find(objects, 'Deployment', 'token').spec.template.spec.containers[0];
      delete container.livenessProbe;
      container.readinessProbe.httpGet.path = '/healthz/live';
      delete container.resources.limits.memory;
      container.securityContext.readOnlyRootFilesystem = false;
      find(objects, 'Deployment', 'identity').spec.template.spec.containers[0].ports[0].containerPort = 8080;
      find(objects, 'Deployment', 'revocation').spec.selector.matchLabels['app.kubernetes.io/name'] = 'revoke';
      expect(checkDeploymentRules(objects, { production: true })).toEqual([
        'Deployment token container token: readOnlyRootFilesystem must be true',
        'Deployment token container token: resources.limits.memory missing',
        "Deployment identity: container port http must be 8084 (the service's default port), not 8080",
        'Deployment revocation: selector.matchLabels must select its own pod template',
        'Deployment token: readinessProbe must GET /healthz/ready on port http, not /healthz/live on http',
        'Deployment token: livenessProbe missing',
      ]);
    });

    it('an unknown setting, a committed production Secret, a literal secret, no HPA, no PDB or an open identity are refused', () => {
      const objects = clone(rendered.production!);
      const token = find(objects, 'Deployment', 'token');
      token.spec.template.spec.containers[0].env.push({ name: 'ACCESS_TOKEN_LIFETIME', value: '600' }, { name: 'KEY_ENCRYPTION_KEY', value: 'abc' });
      find(objects, 'ConfigMap', token.spec.template.spec.containers[0].envFrom[0].configMapRef.name).data.KAFKA_BROKER = 'x:9092';
      objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'authz-secrets' }, data: { SESSION_KEYS: 'eA==' } } as KubernetesObject);
      const withoutAutoscaler = objects.filter((object) => !(object.kind === 'HorizontalPodAutoscaler' && object.metadata.name === 'introspection'));
      const withoutBudget = withoutAutoscaler.filter((object) => !(object.kind === 'PodDisruptionBudget' && object.metadata.name === 'revocation'));
      find(withoutBudget, 'NetworkPolicy', 'identity-from-authorize-and-token').spec.ingress[0].from.push({ namespaceSelector: {} });
      const problems = checkDeploymentRules(withoutBudget, { production: true });
      expect(problems).toEqual(expect.arrayContaining([
        expect.stringMatching(/^ConfigMap authz-config-[a-z0-9]+: KAFKA_BROKER is not a setting$/),
        'production commits Secret authz-secrets: secrets are created by the platform, never committed',
        'Deployment token container token: env ACCESS_TOKEN_LIFETIME is not a setting',
        'Deployment token container token: KEY_ENCRYPTION_KEY must come from a Secret, not a literal value',
        'Deployment introspection: no HorizontalPodAutoscaler',
        'Deployment revocation: no PodDisruptionBudget',
        'NetworkPolicy identity-from-authorize-and-token: lets {"namespaceSelector":{}} reach identity (only authorize and token may)',
      ]));
      expect(problems).toHaveLength(7);
    });
  });
});
