import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SERVICE_NAMES } from '@authz/platform';
import { checkCompose } from './compose-rules';

// docker-compose.yml, checked statically (no Docker engine on this machine).

const root = join(__dirname, '..', '..');
const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const exists = (path: string) => existsSync(join(root, path));

describe('docker-compose.yml', () => {
  it('runs every service from its own Dockerfile, read-only, healthy, after the migrations, on healthy dependencies', () => {
    expect(checkCompose(text, SERVICE_NAMES, exists)).toEqual([]);
  });

  it('has Kafka in KRaft mode, PostgreSQL, Redis and OpenLDAP seeded from the repository LDIF', () => {
    const { services, volumes } = parse(text, { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.keys(services).sort()).toEqual(['authorize', 'demo-api', 'identity', 'introspection', 'kafka', 'ldap-seed', 'migrate', 'openldap', 'postgres', 'redis', 'revocation', 'suite', 'token']);
    expect(services.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services['ldap-seed'].volumes).toContain('./deploy/local/ldap/seed.ldif:/seed/seed.ldif:ro');
    expect(exists('deploy/local/ldap/seed.ldif')).toBe(true);
    expect(services.openldap.volumes).toEqual(['ldap-seed:/container/service/slapd/assets/config/bootstrap/ldif/custom:ro']);
    expect(services.openldap.depends_on).toEqual({ 'ldap-seed': { condition: 'service_completed_successfully' } });
    expect(volumes).toEqual({ 'ldap-seed': {} });
    expect(services.migrate.command).toEqual(['dist/libs/adapters/src/postgres/migrate.cli.js']);
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['token', 'authorize']) expect(services[name].depends_on.identity).toEqual({ condition: 'service_healthy' });
    expect(services.identity.ports).toBeUndefined();
  });

  it('derives the seed as the tests do: the base entry and the password-policy records dropped', () => {
    const { services } = parse(text, { merge: true }) as { services: Record<string, { command: string[] }> };
    const script = services['ldap-seed']!.command[2]!.replaceAll('$$', '$');
    const seed = readFileSync(join(root, 'deploy/local/ldap/seed.ldif'), 'utf8');
    const files: Record<string, string> = {};
    const fs = { readFileSync: () => seed, writeFileSync: (path: string, content: string) => { files[path] = content; } };
    new Function('require', script)(() => fs); // the one-shot container's script, on the repository's LDIF
    const records = files['/out/50-seed.ldif']!.split(/\n\s*\n/);
    expect(records.some((record) => /^dn: dc=example,dc=org$/m.test(record))).toBe(false);
    expect(records.some((record) => /^objectClass: pwdPolicy$/m.test(record))).toBe(false);
    expect(records.filter((record) => /^dn: uid=(alice|bob|carol),ou=people,dc=example,dc=org$/m.test(record))).toHaveLength(3);
  });

  it('the checks bite', () => {
    const broken = text
      .replace('image: authz/token:dev', 'image: authz/token:latest')
      .replace(/  identity:\n    <<: \*app\n    build: \{ context: \., dockerfile: deploy\/docker\/identity\.Dockerfile \}/, '  identity:\n    <<: *app\n    build: { context: ., dockerfile: deploy/docker/identiti.Dockerfile }')
      .replace(/\n  redis:\n    image: redis:7\.4\.5-alpine\n    command: \["redis-server", "--save", "", "--appendonly", "no"\]\n    healthcheck:\n      test: \["CMD", "redis-cli", "ping"\]\n      interval: 2s\n      timeout: 3s\n      retries: 30\n/, '\n  redis:\n    image: redis:7.4.5-alpine\n');
    expect(checkCompose(broken, SERVICE_NAMES, exists)).toEqual([
      'redis: healthcheck missing',
      'token: image authz/token:latest must have a tag other than latest',
      'token: waits for redis to be healthy, which has no healthcheck',
      'introspection: waits for redis to be healthy, which has no healthcheck',
      'revocation: waits for redis to be healthy, which has no healthcheck',
      'identity: build.dockerfile deploy/docker/identiti.Dockerfile does not exist',
      'identity: waits for redis to be healthy, which has no healthcheck',
      'authorize: waits for redis to be healthy, which has no healthcheck',
      'demo-api: waits for redis to be healthy, which has no healthcheck',
      'identity: must build deploy/docker/identity.Dockerfile',
    ]);
    expect(checkCompose(text.replace('    profiles: ["embedded"]\n', ''), SERVICE_NAMES, exists)).toEqual(['suite: must start after the migrations (depends_on migrate: service_completed_successfully)']);
    const unknownKeys = text
      .replace('    ports: ["8082:8082"]\n', '    ports: ["8082:8082"]\n    restart_policy: always\n')
      .replace('      interval: 2s\n      timeout: 3s\n      retries: 30\n\n  redis:', '      intervall: 2s\n      timeout: 3s\n      retries: 30\n\n  redis:')
      .replace('migrate: { condition: service_completed_successfully }\n    kafka:', 'migrate: { condition: service_completed }\n    kafka:');
    expect(checkCompose(unknownKeys, SERVICE_NAMES, exists)).toEqual(expect.arrayContaining([
      'schema: /services/token must NOT have additional properties (restart_policy)',
      'schema: /services/postgres/healthcheck must NOT have additional properties (intervall)',
      'schema: /services/token/depends_on/migrate/condition must be equal to one of the allowed values',
    ]));
  });
});
