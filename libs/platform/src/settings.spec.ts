import { hostname } from 'node:os';
import { DEFAULT_PORTS, loadSettings, SERVICE_NAMES, SettingsError, unsafeDefaults } from './settings';

const INSTANCE_ID = new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{6}$`);

function settingsError(action: () => unknown): { type: unknown; message: string } {
  try {
    action();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { type: error.constructor, message: error.message };
  }
  throw new Error('expected a SettingsError');
}

const HARDENED_ENV = {
  ISSUER: 'https://auth.example.org',
  KEY_ENCRYPTION_KEY: 'ZGV2ZWxvcG1lbnQtb25seS1rZXktZW5jcnlwdGlvbiE',
  LDAP_BIND_PASSWORD: 'a-real-password',
  CLIENT_SECRET_PEPPER: 'cGVwcGVyLWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc',
};

describe('loadSettings', () => {
  it('gives every default for an empty environment', () => {
    expect(loadSettings('token', {})).toStrictEqual({
      MODE: 'distributed',
      HOST: '0.0.0.0',
      PORT: 8082,
      ISSUER: 'http://localhost:8080',
      ACCESS_TOKEN_TTL: 600,
      CLIENTS_FILE: 'deploy/seed/clients.json',
      INSTANCE_ID: expect.stringMatching(INSTANCE_ID),
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_CLIENT_ID: 'authz-token',
      KAFKA_TOPIC_PREFIX: '',
      KAFKA_TOPIC_PARTITIONS: 3,
      KAFKA_REPLICATION_FACTOR: 1,
      KAFKA_LINGER_MS: 2,
      KAFKA_MAX_BATCH: 500,
      KAFKA_PUBLISH_TIMEOUT_MS: 5000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DATABASE_POOL_MAX: 10,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'authz:',
      LDAP_URL: 'ldap://127.0.0.1:3389',
      LDAP_BIND_DN: 'cn=authz-service,ou=services,dc=example,dc=org',
      LDAP_BIND_PASSWORD: 'authz-service-password',
      LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
      LDAP_USER_FILTER: '(&(objectClass=inetOrgPerson)(uid={username}))',
      INTROSPECTION_URL: 'http://localhost:8083/verify',
      RESOURCE_AUDIENCE: 'https://api.example.org',
      USERS_LDIF: 'deploy/seed/users.ldif',
      REFRESH_TOKEN_TTL: 2_592_000,
      REFRESH_TOKEN_IDLE_TTL: 1_209_600,
      REFRESH_GRACE_SECONDS: 0,
      LDAP_ATTR_SUBJECT: 'uid',
      LDAP_ATTR_USERNAME: 'uid',
      LDAP_ATTR_NAME: ['displayName', 'cn'],
      LDAP_ATTR_EMAIL: 'mail',
      LDAP_ATTR_GROUPS: 'memberOf',
      LDAP_CONNECT_TIMEOUT_MS: 3000,
      LDAP_TIMEOUT_MS: 5000,
      IDENTITY_URL: 'http://localhost:8084',
      IDENTITY_TIMEOUT_MS: 10_000,
      LOGIN_FAILURE_WINDOW: 900,
      LOGIN_USERNAME_DELAY_AFTER: 3,
      LOGIN_USERNAME_LOCKOUT_AFTER: 10,
      LOGIN_IP_DELAY_AFTER: 20,
      LOGIN_IP_LOCKOUT_AFTER: 100,
      LOGIN_DELAY_MAX: 60,
      LOGIN_LOCKOUT_DURATION: 900,
      LOGIN_FAILURE_MIN_MS: 250,
      SESSION_TTL: 28_800,
      AUTHORIZATION_CODE_TTL: 60,
      INTERACTION_TTL: 600,
      SIGNING_KEY_ALG: 'ES256',
      SIGNING_KEY_ROTATION_INTERVAL: 2_592_000,
      JWKS_MAX_AGE: 300,
      SIGNING_KEY_RETENTION: 86_400,
      SIGNING_KEY_SCHEDULER_INTERVAL: 60,
      RESOURCE_REVOCATION: 'kafka',
      RESOURCE_REVOCATION_STALENESS_MS: 10_000,
      RESOURCE_INTROSPECTION_FALLBACK: true,
      RESOURCE_INTROSPECTION_CACHE_SECONDS: 5,
      RESOURCE_CLOCK_SKEW_SECONDS: 30,
      RESOURCE_MAX_TOKEN_LIFETIME: 86_400,
      LDAP_START_TLS: false,
      LDAP_TLS_VERIFY: true,
      LDAP_POOL_SIZE: 10,
      LDAP_POOL_IDLE_MS: 240_000,
      LDAP_BREAKER_FAILURES: 3,
      LDAP_BREAKER_OPEN_MS: 10_000,
      LDAP_HEALTH_CHECK_MS: 10_000,
      LDAP_GROUP_MODE: 'memberOf',
      LDAP_GROUP_FILTER: '(objectClass=groupOfNames)',
      LDAP_GROUP_MEMBER_ATTR: 'member',
      LDAP_GROUP_NESTING_DEPTH: 0,
      LDAP_GROUPS_MAX: 200,
      LDAP_USER_CACHE_MS: 0,
      LOGIN_DISCLOSE_REASONS: ['password_expired', 'must_change_password'],
      VERIFIED_TOKEN_CACHE_ENTRIES: 10_000,
      AUDIT_PAGE_SIZE_MAX: 1000,
      AUDIT_INDEX_RETENTION: 0,
      PARTITION_MAINTENANCE_INTERVAL: 3600,
      PARTITION_PREMAKE: 604_800,
      PARTITION_DROP_GRACE: 86_400,
      REVOCATION_TOMBSTONE_TTL: 0,
      KAFKA_TOPIC_RETENTION_MS: -1,
      SHUTDOWN_DELAY_MS: 0,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SERVICE: 'token',
    });
  });

  it('reads the audit block: the API token (at least 32 characters), the topic retention (-1 or at least an hour)', () => {
    expect(loadSettings('revocation', { AUDIT_API_TOKEN: 'a'.repeat(32), KAFKA_TOPIC_RETENTION_MS: '604800000', AUDIT_INDEX_RETENTION: '94608000' })).toMatchObject({
      AUDIT_API_TOKEN: 'a'.repeat(32),
      KAFKA_TOPIC_RETENTION_MS: 604_800_000,
      AUDIT_INDEX_RETENTION: 94_608_000,
    });
    expect(() => loadSettings('revocation', { AUDIT_API_TOKEN: 'short' })).toThrow('AUDIT_API_TOKEN: String must contain at least 32 character(s)');
    expect(() => loadSettings('revocation', { KAFKA_TOPIC_RETENTION_MS: '1000' })).toThrow('KAFKA_TOPIC_RETENTION_MS: expected -1 (forever) or at least 3600000 (one hour)');
    expect(() => loadSettings('revocation', { PARTITION_PREMAKE: '3600' })).toThrow('PARTITION_PREMAKE');
  });

  it('reads the ldap block: failover, TLS, pool, groups, disclosed reasons', () => {
    const settings = loadSettings('identity', {
      LDAP_URL: 'ldaps://dc1.example.org,ldaps://dc2.example.org',
      LDAP_START_TLS: 'true',
      LDAP_TLS_VERIFY: 'false',
      LDAP_POOL_IDLE_MS: '60000',
      LDAP_GROUP_MODE: 'in_chain',
      LDAP_GROUP_NESTING_DEPTH: '5',
      LOGIN_DISCLOSE_REASONS: 'none',
    });
    expect(settings).toMatchObject({
      LDAP_URL: 'ldaps://dc1.example.org,ldaps://dc2.example.org',
      LDAP_START_TLS: true,
      LDAP_TLS_VERIFY: false,
      LDAP_POOL_IDLE_MS: 60_000,
      LDAP_GROUP_MODE: 'in_chain',
      LDAP_GROUP_NESTING_DEPTH: 5,
      LOGIN_DISCLOSE_REASONS: [],
    });
    // AD drops idle connections at 300 s on hardened DCs: the pool must evict before.
    expect(() => loadSettings('identity', { LDAP_POOL_IDLE_MS: '300000' })).toThrow(/LDAP_POOL_IDLE_MS/);
    expect(() => loadSettings('identity', { LOGIN_DISCLOSE_REASONS: 'account_locked' })).toThrow(/LOGIN_DISCLOSE_REASONS/);
    expect(() => loadSettings('identity', { LDAP_GROUP_MODE: 'cn' })).toThrow(/LDAP_GROUP_MODE/);
    expect(() => loadSettings('identity', { LDAP_DIAGNOSTICS_TOKEN: 'short' })).toThrow(/LDAP_DIAGNOSTICS_TOKEN/);
  });

  it.each([
    ['suite', 8080],
    ['authorize', 8081],
    ['token', 8082],
    ['introspection', 8083],
    ['identity', 8084],
    ['revocation', 8085],
    ['demo-api', 8090],
  ] as const)('listens by default on the port of the %s service (%i) and names its Kafka client after it', (service, port) => {
    const settings = loadSettings(service, {});

    expect(settings.SERVICE).toBe(service);
    expect(settings.PORT).toBe(port);
    expect(settings.KAFKA_CLIENT_ID).toBe(`authz-${service}`);
  });

  it('has a default port for every service, each a different one', () => {
    expect(Object.keys(DEFAULT_PORTS).sort()).toEqual([...SERVICE_NAMES].sort());
    expect(new Set(Object.values(DEFAULT_PORTS)).size).toBe(SERVICE_NAMES.length);
  });

  it('reads values from the environment, coercing numbers', () => {
    const settings = loadSettings('suite', {
      MODE: 'embedded',
      PORT: '9000',
      ACCESS_TOKEN_TTL: '600',
      KAFKA_CLIENT_ID: 'custom-client',
      KAFKA_TOPIC_PREFIX: 'staging.',
      INSTANCE_ID: 'pod-1',
      LOG_LEVEL: 'debug',
    });

    expect(settings).toMatchObject({
      MODE: 'embedded',
      PORT: 9000,
      ACCESS_TOKEN_TTL: 600,
      KAFKA_CLIENT_ID: 'custom-client',
      KAFKA_TOPIC_PREFIX: 'staging.',
      INSTANCE_ID: 'pod-1',
      LOG_LEVEL: 'debug',
    });
  });

  it('treats an empty variable as unset, and lets overrides win over the environment', () => {
    expect(loadSettings('token', { PORT: '', ISSUER: '' }).PORT).toBe(8082);
    expect(loadSettings('token', { PORT: '', ISSUER: '' }).ISSUER).toBe('http://localhost:8080');
    expect(loadSettings('token', { PORT: '9000' }, { PORT: '9100' }).PORT).toBe(9100);
    expect(loadSettings('token', { PORT: '9000' }, { PORT: '' }).PORT).toBe(8082);
  });

  it('reads the client settings: a pepper of at least 32 bytes, an initial access token of at least 32 characters', () => {
    expect(loadSettings('token', { CLIENT_SECRET_PEPPER: 'a'.repeat(43), REGISTRATION_INITIAL_ACCESS_TOKEN: 'T'.repeat(32) })).toMatchObject({
      CLIENT_SECRET_PEPPER: 'a'.repeat(43),
      REGISTRATION_INITIAL_ACCESS_TOKEN: 'T'.repeat(32),
    });
    expect(loadSettings('token', {})).not.toHaveProperty('REGISTRATION_INITIAL_ACCESS_TOKEN');
  });

  it('accepts port 0 (any free port) and the bounds of each range', () => {
    expect(loadSettings('token', { PORT: '0', ACCESS_TOKEN_TTL: '30' })).toMatchObject({ PORT: 0, ACCESS_TOKEN_TTL: 30 });
    expect(loadSettings('token', { PORT: '65535', ACCESS_TOKEN_TTL: '86400' })).toMatchObject({ PORT: 65535, ACCESS_TOKEN_TTL: 86400 });
  });

  describe('KAFKA_BROKERS', () => {
    it.each([
      ['one broker', 'kafka-0:9092', ['kafka-0:9092']],
      ['a comma-separated list', 'kafka-0:9092,kafka-1:9092,kafka-2:9092', ['kafka-0:9092', 'kafka-1:9092', 'kafka-2:9092']],
      ['spaces and empty items', ' kafka-0:9092 , kafka-1:9092,, ,kafka-2:9092, ', ['kafka-0:9092', 'kafka-1:9092', 'kafka-2:9092']],
    ])('reads %s', (_case, value, brokers) => {
      expect(loadSettings('token', { KAFKA_BROKERS: value }).KAFKA_BROKERS).toEqual(brokers);
    });
  });

  describe('invalid values', () => {
    it.each([
      ['PORT', 'http', 'PORT: Expected number, received nan'],
      ['PORT', '70000', 'PORT: Number must be less than or equal to 65535'],
      ['PORT', '-1', 'PORT: Number must be greater than or equal to 0'],
      ['PORT', '80.5', 'PORT: Expected integer, received float'],
      ['MODE', 'cloud', "MODE: Invalid enum value. Expected 'distributed' | 'embedded', received 'cloud'"],
      ['ISSUER', 'auth.example.org', 'ISSUER: Invalid url; ISSUER: the issuer must be an https URL (http only for local development)'],
      ['ACCESS_TOKEN_TTL', '10', 'ACCESS_TOKEN_TTL: Number must be greater than or equal to 30'],
      ['ACCESS_TOKEN_TTL', '86401', 'ACCESS_TOKEN_TTL: Number must be less than or equal to 86400'],
      ['KEY_ENCRYPTION_KEY', 'too-short', 'KEY_ENCRYPTION_KEY: expected base64url of 32 bytes'],
      ['KEY_ENCRYPTION_KEY', 'ZGV2ZWxvcG1lbnQtb25seS1rZXktZW5jcnlwdGlvbiE=', 'KEY_ENCRYPTION_KEY: expected base64url of 32 bytes'],
      ['LOG_LEVEL', 'verbose', "LOG_LEVEL: Invalid enum value. Expected 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', received 'verbose'"],
      ['KAFKA_TOPIC_PREFIX', 'staging/', 'KAFKA_TOPIC_PREFIX: Invalid'],
      ['KAFKA_TOPIC_PARTITIONS', '0', 'KAFKA_TOPIC_PARTITIONS: Number must be greater than or equal to 1'],
      ['DATABASE_POOL_MAX', '201', 'DATABASE_POOL_MAX: Number must be less than or equal to 200'],
      ['INTROSPECTION_URL', 'localhost 8083/verify', 'INTROSPECTION_URL: Invalid url'],
      ['RESOURCE_JWKS_URL', 'token/jwks', 'RESOURCE_JWKS_URL: Invalid url'],
      ['RESOURCE_REVOCATION', 'none', "RESOURCE_REVOCATION: Invalid enum value. Expected 'kafka' | 'introspection', received 'none'"],
      ['RESOURCE_INTROSPECTION_FALLBACK', 'yes', "RESOURCE_INTROSPECTION_FALLBACK: Invalid enum value. Expected 'true' | 'false', received 'yes'"],
      ['RESOURCE_MAX_TOKEN_LIFETIME', '86401', 'RESOURCE_MAX_TOKEN_LIFETIME: Number must be less than or equal to 86400'],
      ['ISSUER', 'https://auth.example.org/?tenant=a', 'ISSUER: the issuer must have no query or fragment (RFC 8414 §2)'],
      ['ISSUER', 'https://auth.example.org/#frag', 'ISSUER: the issuer must have no query or fragment (RFC 8414 §2)'],
      ['ISSUER', 'ftp://auth.example.org', 'ISSUER: the issuer must be an https URL (http only for local development)'],
      ['KAFKA_BROKERS', ' , ', 'KAFKA_BROKERS: expected at least one value'],
      ['LDAP_ATTR_SUBJECT', 'uid)(x', 'LDAP_ATTR_SUBJECT: expected an LDAP attribute name'],
      ['LDAP_ATTR_NAME', 'displayName,c n', 'LDAP_ATTR_NAME.1: expected an LDAP attribute name'],
      ['IDENTITY_INTERNAL_TOKEN', 'short', 'IDENTITY_INTERNAL_TOKEN: String must contain at least 32 character(s)'],
      ['IDENTITY_URL', 'identity:8084', 'IDENTITY_URL: expected an http(s) URL'],
      ['IDENTITY_URL', 'localhost 8084', 'IDENTITY_URL: Invalid url; IDENTITY_URL: expected an http(s) URL'],
      ['CLIENT_SECRET_PEPPER', 'short', 'CLIENT_SECRET_PEPPER: expected base64url of at least 32 bytes'],
      ['CLIENT_SECRET_PEPPER', `${'a'.repeat(43)}=`, 'CLIENT_SECRET_PEPPER: expected base64url of at least 32 bytes'],
      ['REGISTRATION_INITIAL_ACCESS_TOKEN', 'too-short', 'REGISTRATION_INITIAL_ACCESS_TOKEN: the initial access token must have at least 32 characters'],
      ['REGISTRATION_INITIAL_ACCESS_TOKEN', `${'a'.repeat(32)} b`, 'REGISTRATION_INITIAL_ACCESS_TOKEN: expected visible ASCII characters'],
    ])('refuses %s=%j with a SettingsError naming the key', (key, value, issue) => {
      expect(settingsError(() => loadSettings('token', { [key]: value }))).toEqual({ type: SettingsError, message: `invalid settings: ${issue}` });
    });

    it('lists every invalid key at once', () => {
      expect(settingsError(() => loadSettings('token', { PORT: '70000', MODE: 'cloud', ACCESS_TOKEN_TTL: '1' }))).toEqual({
        type: SettingsError,
        message:
          "invalid settings: MODE: Invalid enum value. Expected 'distributed' | 'embedded', received 'cloud'; PORT: Number must be less than or equal to 65535; ACCESS_TOKEN_TTL: Number must be greater than or equal to 30",
      });
    });

    it('is named SettingsError', () => {
      expect(new SettingsError('x').name).toBe('SettingsError');
    });
  });
});

describe('unsafeDefaults', () => {
  it('warns about every development default of the distributed mode', () => {
    expect(unsafeDefaults(loadSettings('token', {}), {})).toEqual([
      'KEY_ENCRYPTION_KEY is not set: signing keys are encrypted with a development key. Set it in production.',
      'ISSUER is not set: using http://localhost:8080. Set it to the public https URL of the suite.',
      'LDAP_BIND_PASSWORD is the development default.',
      'CLIENT_SECRET_PEPPER is not set: client secrets are hashed with a development key. Set it in production.',
    ]);
  });

  it('warns the identity service of the distributed mode that its internal API has no shared secret', () => {
    expect(unsafeDefaults(loadSettings('identity', HARDENED_ENV), HARDENED_ENV)).toEqual([
      'IDENTITY_INTERNAL_TOKEN is not set: /internal/v1/authenticate answers any caller that can reach it. Set it here and in the authorize and token services.',
    ]);
    const env = { ...HARDENED_ENV, IDENTITY_INTERNAL_TOKEN: 'x'.repeat(32) };
    expect(unsafeDefaults(loadSettings('identity', env), env)).toEqual([]);
  });

  it('reads the LDAP attribute mapping (the name as a list)', () => {
    expect(loadSettings('identity', { LDAP_ATTR_SUBJECT: 'entryUUID', LDAP_ATTR_NAME: 'cn', LDAP_ATTR_GROUPS: '1.2.840.113556.1.2.102' })).toMatchObject({
      LDAP_ATTR_SUBJECT: 'entryUUID',
      LDAP_ATTR_NAME: ['cn'],
      LDAP_ATTR_GROUPS: '1.2.840.113556.1.2.102',
    });
  });

  it('is silent in the embedded mode on localhost (the all-in-one mode for trying the suite)', () => {
    expect(unsafeDefaults(loadSettings('suite', { MODE: 'embedded' }), { MODE: 'embedded' })).toEqual([]);
  });

  it('is silent when every unsafe default is replaced', () => {
    expect(unsafeDefaults(loadSettings('token', HARDENED_ENV), HARDENED_ENV)).toEqual([]);
  });

  it.each(['http://auth.example.org', 'http://localhost.example.org', 'http://127.0.0.1.nip.io:8080'])(
    'warns that the issuer %s is not https (RFC 8414 §2)',
    (issuer) => {
      const env = { ...HARDENED_ENV, ISSUER: issuer };
      expect(unsafeDefaults(loadSettings('token', env), env)).toEqual(['ISSUER is not https: RFC 8414 §2 requires an https issuer.']);
    },
  );

  it.each(['http://localhost', 'http://localhost:8080', 'http://127.0.0.1/', 'http://127.0.0.1:8080/tenant', 'https://auth.example.org/tenant'])(
    'accepts the issuer %s',
    (issuer) => {
      const env = { ...HARDENED_ENV, ISSUER: issuer };
      expect(unsafeDefaults(loadSettings('token', env), env)).toEqual([]);
    },
  );
});

describe('authorize settings', () => {
  const key = 'A'.repeat(43);

  it('accepts one or more 32-byte session keys and bounds the lifetimes', () => {
    expect(loadSettings('authorize', { SESSION_KEYS: `${key},${'B'.repeat(43)}` }).SESSION_KEYS).toBe(`${key},${'B'.repeat(43)}`);
    expect(() => loadSettings('authorize', { SESSION_KEYS: 'short' })).toThrow('SESSION_KEYS: expected comma-separated base64url of 32 bytes');
    expect(() => loadSettings('authorize', { SESSION_KEYS: `${key},` })).toThrow(SettingsError);
    expect(() => loadSettings('authorize', { AUTHORIZATION_CODE_TTL: '61' })).toThrow(SettingsError);
    expect(loadSettings('authorize', { AUTHORIZATION_CODE_TTL: '30', INTERACTION_TTL: '120', SESSION_TTL: '3600', UI_DIR: '/themes/acme' })).toMatchObject({
      AUTHORIZATION_CODE_TTL: 30,
      INTERACTION_TTL: 120,
      SESSION_TTL: 3600,
      UI_DIR: '/themes/acme',
    });
  });

  it('warns when the authorize or revocation service (or a distributed suite) runs on the development session key', () => {
    const warning =
      'SESSION_KEYS is not set: login sessions are encrypted with a development key (allowed for a loopback ISSUER only; any other refuses to start). Set it in production, the same in authorize and revocation (the dashboard).';
    expect(unsafeDefaults(loadSettings('authorize', {}), {})).toContain(warning);
    // The revocation service's dashboard opens the login page's sessions.
    expect(unsafeDefaults(loadSettings('revocation', {}), {})).toContain(warning);
    expect(unsafeDefaults(loadSettings('authorize', { SESSION_KEYS: key }), { SESSION_KEYS: key })).not.toContain(warning);
    expect(unsafeDefaults(loadSettings('suite', { MODE: 'embedded' }), { MODE: 'embedded' })).not.toContain(warning);
    expect(unsafeDefaults(loadSettings('token', {}), {})).not.toContain(warning);
  });
});

describe('TRUST_PROXY (trusted proxies)', () => {
  it('is unset by default: X-Forwarded-For is ignored', () => {
    expect(loadSettings('token', {})).not.toHaveProperty('TRUST_PROXY');
  });

  it('reads a hop count or a comma-separated list of IPs, CIDRs and proxy-addr range names', () => {
    expect(loadSettings('token', { TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadSettings('token', { TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8, ::1, loopback' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1', 'loopback']);
  });

  it.each([
    ['0', 'TRUST_PROXY: a hop count must be between 1 and 10'],
    ['11', 'TRUST_PROXY: a hop count must be between 1 and 10'],
    ['true', 'TRUST_PROXY: expected a hop count or comma-separated IP addresses or CIDRs, not: true'],
    ['10.0.0.0/33,ingress.local', 'TRUST_PROXY: expected a hop count or comma-separated IP addresses or CIDRs, not: 10.0.0.0/33, ingress.local'],
    [',', 'TRUST_PROXY: expected a hop count or comma-separated IP addresses or CIDRs'],
  ])('refuses %s (never "trust everything")', (value, message) => {
    expect(settingsError(() => loadSettings('token', { TRUST_PROXY: value }))).toEqual({ type: SettingsError, message: `invalid settings: ${message}` });
  });
});
