import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * Finds the real services the integration tests need, in this order for each one:
 *  1. the URL from the environment (KAFKA_BROKERS, DATABASE_URL, REDIS_URL, LDAP_URL);
 *  2. a testcontainers container, when a Docker engine answers;
 *  3. the native scripts in deploy/local (Kafka from the Maven Central jars, Debian's slapd, the
 *     machine's PostgreSQL and Redis).
 * A service that cannot be had is a loud failure, never a skip.
 */
export type ServiceEnv = {
  KAFKA_BROKERS: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  LDAP_URL: string;
  LDAP_BASE_DN: string;
  LDAP_BIND_DN: string;
  LDAP_BIND_PASSWORD: string;
};

export const SERVICE_KEYS = ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL', 'LDAP_URL'] as const;
type ServiceKey = (typeof SERVICE_KEYS)[number];

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export class ServiceProvisioningError extends Error {
  override readonly name = 'ServiceProvisioningError';
}

/** Parses the `KEY=value` lines that deploy/local/services.sh prints. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export async function provisionServices(log: (msg: string) => void): Promise<ServiceEnv> {
  const missing = SERVICE_KEYS.filter((key) => !process.env[key]);
  const found: Partial<Record<string, string>> = {};
  for (const key of SERVICE_KEYS) if (process.env[key]) log(`${key} from the environment: ${process.env[key]}`);

  if (missing.length > 0) {
    const fromDocker = (await dockerAnswers()) ? await startContainers(missing, log) : null;
    if (fromDocker) Object.assign(found, fromDocker);
    else Object.assign(found, startNative(missing, log));
  }
  const env = {
    LDAP_BASE_DN: 'dc=example,dc=org',
    LDAP_BIND_DN: 'cn=authz-service,ou=services,dc=example,dc=org',
    LDAP_BIND_PASSWORD: 'authz-service-password',
    ...found,
    ...pick(process.env, ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL', 'LDAP_URL', 'LDAP_BASE_DN', 'LDAP_BIND_DN', 'LDAP_BIND_PASSWORD']),
  } as ServiceEnv;
  for (const key of SERVICE_KEYS) {
    if (!env[key]) throw new ServiceProvisioningError(`${key} could not be provisioned: set it, run a Docker engine, or fix deploy/local/services.sh`);
  }
  await Promise.all(SERVICE_KEYS.map((key) => assertReachable(key, env[key])));
  return env;
}

function pick(source: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => source[key]).map((key) => [key, source[key]!]));
}

async function dockerAnswers(): Promise<boolean> {
  if (process.env.DOCKER_HOST) return true;
  if (!existsSync('/var/run/docker.sock')) return false;
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim().length > 0;
}

async function startContainers(missing: ServiceKey[], log: (msg: string) => void): Promise<Record<string, string>> {
  // Loaded only when a Docker engine answers: testcontainers is not needed on machines without one.
  const { GenericContainer, Wait } = await import('testcontainers');
  const env: Record<string, string> = {};
  for (const key of missing) {
    log(`${key}: starting a testcontainers container`);
    switch (key) {
      case 'DATABASE_URL': {
        const c = await new GenericContainer('postgres:15-alpine')
          .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
          .withExposedPorts(5432)
          .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
          .start();
        env[key] = `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/test`;
        break;
      }
      case 'REDIS_URL': {
        const c = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
        env[key] = `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
        break;
      }
      case 'KAFKA_BROKERS': {
        const c = await new GenericContainer('apache/kafka:3.9.1')
          .withExposedPorts({ container: 9092, host: 39092 })
          .withEnvironment({
            KAFKA_NODE_ID: '1',
            KAFKA_PROCESS_ROLES: 'broker,controller',
            KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
            KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:39092',
            KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
            KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          })
          .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
          .start();
        env[key] = `${c.getHost()}:39092`;
        break;
      }
      case 'LDAP_URL': {
        // The image creates dc=example,dc=org itself from LDAP_DOMAIN: seed everything below it.
        // Without the password policy entries: this image's slapd may not load the ppolicy schema (the tests
        // that need ppolicy start a slapd of their own from deploy/local/ldap.sh).
        const seed = seedWithoutBaseEntry(readFileSync(join(WORKSPACE_ROOT, 'deploy', 'local', 'ldap', 'seed.ldif'), 'utf8'), 'dc=example,dc=org')
          .split(/\n\s*\n/)
          .filter((record) => !/^objectClass: pwdPolicy$/im.test(record))
          .join('\n\n');
        const c = await new GenericContainer('osixia/openldap:1.5.0')
          .withEnvironment({ LDAP_ORGANISATION: 'Example', LDAP_DOMAIN: 'example.org', LDAP_ADMIN_PASSWORD: 'admin-password' })
          .withCopyContentToContainer([{ content: seed, target: '/container/service/slapd/assets/config/bootstrap/ldif/custom/50-seed.ldif' }])
          .withCommand(['--copy-service'])
          .withExposedPorts(389)
          .withWaitStrategy(Wait.forLogMessage(/slapd starting/))
          .start();
        env[key] = `ldap://${c.getHost()}:${c.getMappedPort(389)}`;
        break;
      }
    }
  }
  return env;
}

/** The LDIF records of `ldif` except the one whose dn is `baseDn` (records are separated by blank lines). */
export function seedWithoutBaseEntry(ldif: string, baseDn: string): string {
  return ldif
    .split(/\n\s*\n/)
    .filter((record) => !new RegExp(`^dn: ${baseDn}$`, 'mi').test(record))
    .join('\n\n');
}

function startNative(missing: ServiceKey[], log: (msg: string) => void): Record<string, string> {
  const script = join(WORKSPACE_ROOT, 'deploy', 'local', 'services.sh');
  log(`${missing.join(', ')}: no Docker engine answers; starting the native services with ${script} up`);
  let output: string;
  try {
    output = execFileSync('bash', [script, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  } catch (error) {
    throw new ServiceProvisioningError(`deploy/local/services.sh up failed: ${(error as Error).message}`);
  }
  const env = parseEnvLines(output);
  return Object.fromEntries(Object.entries(env).filter(([key]) => !process.env[key]));
}

/** A TCP connect to the service's host:port, so a wrong URL fails here with its name, not deep in a test. */
async function assertReachable(key: ServiceKey, value: string): Promise<void> {
  const first = key === 'KAFKA_BROKERS' ? `kafka://${value.split(',')[0]}` : value;
  const url = new URL(first);
  const defaults: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'ldap:': 389, 'ldaps:': 636, 'kafka:': 9092 };
  const port = Number(url.port || defaults[url.protocol]);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: url.hostname, port, timeout: 5000 }, () => {
      socket.end();
      resolve();
    });
    const fail = (why: string) => {
      socket.destroy();
      reject(new ServiceProvisioningError(`${key}=${value} does not answer (${why})`));
    };
    socket.once('error', (error) => fail(error.message));
    socket.once('timeout', () => fail('timeout'));
  });
}
