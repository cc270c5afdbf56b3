import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_ACCESS_TOKEN_TTL } from '@authz/oauth';

/** The services, each a separate process in the distributed mode; `suite` runs them all in one. */
export const SERVICE_NAMES = ['authorize', 'token', 'introspection', 'identity', 'revocation', 'suite', 'demo-api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default port of each service (the README's table). */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  suite: 8080,
  authorize: 8081,
  token: 8082,
  introspection: 8083,
  identity: 8084,
  revocation: 8085,
  'demo-api': 8090,
};

const csv = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .refine((items) => items.length > 0, 'expected at least one value');
/** An LDAP attribute description: a name (RFC 4512 §1.4 descr) or a numeric OID. */
const ldapAttribute = z.string().regex(/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$/, 'expected an LDAP attribute name');
const int = (min: number, max: number) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.coerce.number().int().min(min).max(max));

/** proxy-addr's names for address ranges (what Fastify's trustProxy understands besides IPs and CIDRs). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or one of PROXY_RANGE_NAMES. */
function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * TRUST_PROXY: a hop count (1–10: the client address is that many entries from the end of
 * X-Forwarded-For), or a comma-separated list of the proxies' addresses/CIDRs (every hop from one of
 * them is trusted, the first untrusted one is the client). Never "trust everything": a client could
 * then name any address in X-Forwarded-For.
 */
const trustProxy = z.string().transform((text, ctx): number | string[] => {
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops < 1 || hops > 10) ctx.addIssue({ code: 'custom', message: 'a hop count must be between 1 and 10' });
    return hops;
  }
  const entries = trimmed.split(',').map((entry) => entry.trim()).filter(Boolean);
  const invalid = entries.filter((entry) => !isTrustedProxyEntry(entry));
  if (entries.length === 0 || invalid.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected a hop count or comma-separated IP addresses or CIDRs${invalid.length > 0 ? `, not: ${invalid.join(', ')}` : ''}` });
  }
  return entries;
});

/**
 * Every setting, read from the environment and validated at startup. Each one is documented here and
 * in the README's settings table; an unsafe default is announced by a warning at startup.
 */
export const settingsSchema = z.object({
  /** `distributed`: Kafka, PostgreSQL, Redis, LDAP. `embedded`: in-process bus, PGlite, in-memory TTL store, LDIF users. */
  MODE: z.enum(['distributed', 'embedded']).default('distributed'),
  HOST: z.string().default('0.0.0.0'),
  /** Listening port; defaults to the service's port (DEFAULT_PORTS). */
  PORT: int(0, 65535).optional(),
  /** The issuer identifier (RFC 8414 §2): the public https URL of the suite, as the ingress exposes it. */
  ISSUER: z
    .string()
    .url()
    // RFC 8414 §2: "a URL that uses the "https" scheme and has no query or fragment components".
    .refine((value) => !value.includes('?') && !value.includes('#'), 'the issuer must have no query or fragment (RFC 8414 §2)')
    .refine((value) => /^https?:\/\//.test(value), 'the issuer must be an https URL (http only for local development)')
    .default('http://localhost:8080'),
  /** Lifetime of access tokens in seconds (a client's registration may override it). */
  ACCESS_TOKEN_TTL: int(30, MAX_ACCESS_TOKEN_TTL).default(600),
  /** base64url of 32 random bytes: encrypts the signing keys at rest (AES-256-GCM). */
  KEY_ENCRYPTION_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected base64url of 32 bytes').optional(),
  /** JSON file with the registered clients (deploy/seed/clients.json). */
  CLIENTS_FILE: z.string().default('deploy/seed/clients.json'),
  /** An id unique to this process (broadcast consumer groups, logs). */
  INSTANCE_ID: z.string().default(() => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  KAFKA_BROKERS: csv.default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().optional(),
  /** Prefixed to every topic and consumer group id (one cluster shared by several environments). */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  KAFKA_TOPIC_PARTITIONS: int(1, 1000).default(3),
  KAFKA_REPLICATION_FACTOR: int(1, 10).default(1),
  /** How long the producer accumulates events before one sendBatch, in ms. */
  KAFKA_LINGER_MS: int(0, 1000).default(2),
  KAFKA_MAX_BATCH: int(1, 10_000).default(500),
  /** A publish not acknowledged within this time fails (the request answers 503 temporarily_unavailable). */
  KAFKA_PUBLISH_TIMEOUT_MS: int(100, 60_000).default(5000),

  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/test'),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('authz:'),

  LDAP_URL: z.string().default('ldap://127.0.0.1:3389'),
  LDAP_BIND_DN: z.string().default('cn=authz-service,ou=services,dc=example,dc=org'),
  LDAP_BIND_PASSWORD: z.string().default('authz-service-password'),
  LDAP_BASE_DN: z.string().default('ou=people,dc=example,dc=org'),
  /** `{username}` is replaced by the RFC 4515-escaped username. */
  LDAP_USER_FILTER: z.string().default('(&(objectClass=inetOrgPerson)(uid={username}))'),
  /** demo-api: where it verifies bearer tokens (the introspection service's internal /verify). */
  INTROSPECTION_URL: z.string().url().default('http://localhost:8083/verify'),
  /** demo-api: its own identifier, which must be in a token's `aud` (RFC 9068 §4). */
  RESOURCE_AUDIENCE: z.string().default('https://api.example.org'),
  /** LDIF file of users for the embedded mode. */
  USERS_LDIF: z.string().default('deploy/seed/users.ldif'),

  // --- authorize ---
  /**
   * Keys of the login session cookie (JWE, dir + A256GCM): comma-separated base64url of 32 bytes each.
   * The first encrypts; every one decrypts (rotation: put the new key first, drop the old one after
   * SESSION_TTL). Unset: a random key per process in the embedded mode, a development key otherwise.
   */
  SESSION_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}(,[A-Za-z0-9_-]{43})*$/, 'expected comma-separated base64url of 32 bytes')
    .optional(),
  /** How long a login lasts, in seconds (the session cookie's lifetime). */
  SESSION_TTL: int(60, 30 * 86_400).default(28_800),
  /** Lifetime of authorization codes in seconds (RFC 6749 §4.1.2; at most 60 here). */
  AUTHORIZATION_CODE_TTL: int(1, 60).default(60),
  /** How long a user has to get through the login and consent pages, in seconds. */
  INTERACTION_TTL: int(60, 3600).default(600),
  /** A folder with `templates/` (login.html, consent.html, error.html, layout.html) and `css/` replacing the built-in pages. */
  UI_DIR: z.string().optional(),
  // --- grants ---
  /** Absolute lifetime of a refresh token family in seconds, from its first token (a client may override it). Default 30 days. */
  REFRESH_TOKEN_TTL: int(60, 31_536_000).default(2_592_000),
  /** A refresh token family unused for this long, in seconds, expires (a client may override it). Default 14 days. */
  REFRESH_TOKEN_IDLE_TTL: int(60, 31_536_000).default(1_209_600),
  /**
   * Seconds after a rotation during which a retry of the same parent refresh token receives the same
   * child instead of being treated as reuse (parallel refreshes from several tabs). 0 (default) disables it.
   */
  REFRESH_GRACE_SECONDS: int(0, 60).default(0),

  // --- identity ---
  /**
   * LDAP attribute of the stable subject (the `sub` claim). `uid` by default, like the LDIF directory of
   * the embedded mode; use `entryUUID` (or `objectGUID`) where uids can be renamed or reused.
   */
  LDAP_ATTR_SUBJECT: ldapAttribute.default('uid'),
  /** LDAP attribute of the login name the directory answers with. */
  LDAP_ATTR_USERNAME: ldapAttribute.default('uid'),
  /** LDAP attributes of the display name, comma-separated: the first that has a value. */
  LDAP_ATTR_NAME: csv.pipe(z.array(ldapAttribute)).default('displayName,cn'),
  /** LDAP attribute of the e-mail address. */
  LDAP_ATTR_EMAIL: ldapAttribute.default('mail'),
  /** LDAP attribute listing the user's group DNs (the memberof overlay's operational attribute). */
  LDAP_ATTR_GROUPS: ldapAttribute.default('memberOf'),
  /** TCP/TLS connect timeout of the LDAP connections, ms. */
  LDAP_CONNECT_TIMEOUT_MS: int(100, 60_000).default(3000),
  /** Timeout of each LDAP operation (bind, search), ms. */
  LDAP_TIMEOUT_MS: int(100, 60_000).default(5000),
  /** Where the authorize and token services reach the identity service (its internal API, never routed by the ingress). */
  IDENTITY_URL: z
    .string()
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'expected an http(s) URL')
    .default('http://localhost:8084'),
  /** A call to the identity service without an answer after this long is an outage (503 temporarily_unavailable), ms. */
  IDENTITY_TIMEOUT_MS: int(100, 60_000).default(10_000),
  /** Shared secret the callers of the identity service's internal API send as `Authorization: Bearer …` (at least 32 characters). Unset: no check (warning). */
  IDENTITY_INTERNAL_TOKEN: z.string().min(32).optional(),
  /** Brute force: failures are counted per username and per client IP within this window from the first failure, seconds. */
  LOGIN_FAILURE_WINDOW: int(60, 86_400).default(900),
  /** Brute force: from this many failures of a username on, each further attempt waits 2^(failures − this) seconds after the last failure. */
  LOGIN_USERNAME_DELAY_AFTER: int(1, 100_000).default(3),
  /** Brute force: this many failures of a username lock it for LOGIN_LOCKOUT_DURATION. */
  LOGIN_USERNAME_LOCKOUT_AFTER: int(1, 100_000).default(10),
  /** Brute force: the growing delay for a client IP starts after this many failures (higher: many users may share an address). */
  LOGIN_IP_DELAY_AFTER: int(1, 100_000).default(20),
  /** Brute force: this many failures from a client IP lock it for LOGIN_LOCKOUT_DURATION. */
  LOGIN_IP_LOCKOUT_AFTER: int(1, 100_000).default(100),
  /** Brute force: the longest growing delay, seconds. */
  LOGIN_DELAY_MAX: int(1, 3600).default(60),
  /** Brute force: how long a lockout lasts, seconds. */
  LOGIN_LOCKOUT_DURATION: int(1, 86_400).default(900),
  /** A failed login is answered no sooner than this many ms after it began, so that its timing does not tell an unknown user from a wrong password (0: off). */
  LOGIN_FAILURE_MIN_MS: int(0, 10_000).default(250),

  // --- clients ---
  /**
   * base64url of at least 32 random bytes: the HMAC-SHA-256 key under which client secrets and
   * registration access tokens are stored (`hmac-sha256:` hashes). The same on every replica and for
   * the admin CLI. Unset: a development value (warning in the distributed mode).
   */
  CLIENT_SECRET_PEPPER: z.string().regex(/^[A-Za-z0-9_-]{43,}$/, 'expected base64url of at least 32 bytes').optional(),
  /**
   * The RFC 7591 initial access token that protects POST /register (a Bearer token, at least 32
   * characters; only its hash is kept in memory). Unset: dynamic registration is off (404), and the
   * admin CLI is the only way to register clients.
   */
  REGISTRATION_INITIAL_ACCESS_TOKEN: z.string().min(32, 'the initial access token must have at least 32 characters').regex(/^[\x21-\x7E]+$/, 'expected visible ASCII characters').optional(),
  // --- signing keys ---
  /** Algorithm of new signing keys: ES256 (P-256), EdDSA (Ed25519), RS256 or PS256 (RSA 2048). A change takes effect by rotation. */
  SIGNING_KEY_ALG: z.enum(['ES256', 'EdDSA', 'RS256', 'PS256']).default('ES256'),
  /** Seconds a key signs before its successor takes over (default 30 days). */
  SIGNING_KEY_ROTATION_INTERVAL: int(10, 31_536_000).default(2_592_000),
  /** Seconds clients may cache GET /jwks (Cache-Control max-age); a new key is published at least this long before it signs. */
  JWKS_MAX_AGE: int(0, 86_400).default(300),
  /** Seconds a retired key stays in the JWK Set: at least the longest access-token lifetime (a client's may reach 86400). */
  SIGNING_KEY_RETENTION: int(30, 2_592_000).default(86_400),
  /** Seconds between two rotation passes of a token replica (one replica at a time holds the rotation lock). */
  SIGNING_KEY_SCHEDULER_INTERVAL: int(1, 3600).default(60),

  // --- trusted proxies ---
  /**
   * Which reverse proxies (the ingress) may tell the client's address in X-Forwarded-For: a hop count,
   * or comma-separated IPs/CIDRs (see trustProxy above). Unset: none, X-Forwarded-For is ignored and
   * the client address is the socket peer. It is the address the login page and the password grant
   * send to the identity service (brute-force counters per IP): behind an ingress without this
   * setting, every attempt counts against the ingress's address.
   */
  TRUST_PROXY: trustProxy.optional(),

  // --- resource server (demo-api) ---
  // (INTROSPECTION_URL and RESOURCE_AUDIENCE above are the demo-api's too.)
  /** demo-api: the JWK Set its guard verifies tokens with. Unset: `<ISSUER>/jwks` (the metadata's jwks_uri). */
  RESOURCE_JWKS_URL: z.string().url().optional(),
  /**
   * demo-api: how its guard learns revocations. `kafka`: follows `<KAFKA_TOPIC_PREFIX>oauth.revocations`
   * (a consumer group of its own), falling back to INTROSPECTION_URL per request while the feed is behind
   * or stale; `introspection`: calls INTROSPECTION_URL for every token (short positive cache).
   */
  RESOURCE_REVOCATION: z.enum(['kafka', 'introspection']).default('kafka'),
  /** demo-api: the revocation feed counts as stale (fallback or 503) after this long without a completed fetch, ms. */
  RESOURCE_REVOCATION_STALENESS_MS: int(1000, 600_000).default(10_000),
  /** demo-api: with RESOURCE_REVOCATION=kafka, whether a behind or stale feed falls back to introspection (else 503 temporarily_unavailable). */
  RESOURCE_INTROSPECTION_FALLBACK: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  /** demo-api: client id and secret for INTROSPECTION_URL when it is the RFC 7662 /introspect (both or neither; unset for the internal /verify). */
  RESOURCE_INTROSPECTION_CLIENT_ID: z.string().min(1).optional(),
  RESOURCE_INTROSPECTION_CLIENT_SECRET: z.string().min(1).optional(),
  /** demo-api: how long an `active: true` introspection answer is reused for the same token, seconds (never past its exp; 0: never). */
  RESOURCE_INTROSPECTION_CACHE_SECONDS: int(0, 300).default(5),
  /** demo-api: tolerated clock difference for exp, nbf and iat, seconds. */
  RESOURCE_CLOCK_SKEW_SECONDS: int(0, 300).default(30),
  /** demo-api: the longest access-token lifetime (exp − iat) it accepts, seconds; also how far back its revocation feed reads at start. */
  RESOURCE_MAX_TOKEN_LIFETIME: int(30, 86_400).default(86_400),
  // --- ldap ---
  // (LDAP_URL may also be a comma-separated list: the failover servers, in order of preference.)
  /** StartTLS (RFC 4511 §4.14) on ldap:// URLs before any bind; ldaps:// URLs use TLS from the start. */
  LDAP_START_TLS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** PEM file of the CA(s) that issued the directory's certificate (ldaps://, StartTLS); the system store when unset. */
  LDAP_TLS_CA_FILE: z.string().min(1).optional(),
  /** Verify the directory's certificate and host name. `false` only for throwaway test servers (warning at startup). */
  LDAP_TLS_VERIFY: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  /** Connections per directory server in each pool (service-account searches; user binds). */
  LDAP_POOL_SIZE: int(1, 200).default(10),
  /** An idle pooled connection is closed after this, ms: below AD's idle limit (900 s; 300 s on hardened DCs). */
  LDAP_POOL_IDLE_MS: int(1000, 299_000).default(240_000),
  /** Consecutive infrastructure failures (refused, timeout, busy) after which a server is skipped (circuit breaker). */
  LDAP_BREAKER_FAILURES: int(1, 1000).default(3),
  /** How long a server with an open breaker is skipped before it is tried again, ms. */
  LDAP_BREAKER_OPEN_MS: int(100, 3_600_000).default(10_000),
  /** How often servers with an open breaker are probed (service bind) and idle connections evicted, ms; 0: never. */
  LDAP_HEALTH_CHECK_MS: int(0, 3_600_000).default(10_000),
  /**
   * How a user's groups are found: `memberOf` (the user's memberOf attribute, LDAP_ATTR_GROUPS; nested groups
   * by each group's own), `search` (groups under LDAP_GROUP_BASE_DN whose LDAP_GROUP_MEMBER_ATTR holds the
   * DN), `in_chain` (Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: one search, nesting resolved by AD).
   */
  LDAP_GROUP_MODE: z.enum(['memberOf', 'search', 'in_chain']).default('memberOf'),
  /** Base of group searches (`search`, `in_chain`); LDAP_BASE_DN when unset. */
  LDAP_GROUP_BASE_DN: z.string().min(1).optional(),
  /** Which entries are groups (`search`, `in_chain`): an RFC 4515 filter without placeholders. */
  LDAP_GROUP_FILTER: z.string().min(3).default('(objectClass=groupOfNames)'),
  /** The attribute of a group listing its members' DNs. */
  LDAP_GROUP_MEMBER_ATTR: ldapAttribute.default('member'),
  /** Nested group levels followed beyond the direct groups (cycles are detected); 0: direct groups only. */
  LDAP_GROUP_NESTING_DEPTH: int(0, 20).default(0),
  /** The most groups a user's groups claim (the authenticate answer, the session) holds; direct groups come first. */
  LDAP_GROUPS_MAX: int(1, 10_000).default(200),
  /**
   * How long a user search's answer (DN, attributes, groups) is reused for that username's next login, ms;
   * 0: every login searches. The bind is never cached (a disabled or locked account is refused at once);
   * group changes take effect after this long. Halves the directory's work per login.
   */
  LDAP_USER_CACHE_MS: int(0, 600_000).default(0),
  /**
   * Refusals a user is told about, comma-separated, from `password_expired,must_change_password` (the directory
   * refused a right password); `none`: every refusal is "invalid username or password". The audit event
   * always has the precise reason.
   */
  LOGIN_DISCLOSE_REASONS: z
    .string()
    .default('password_expired,must_change_password')
    .transform((value, ctx) => {
      const items = value.split(',').map((item) => item.trim()).filter((item) => item.length > 0 && item !== 'none');
      const bad = items.filter((item) => item !== 'password_expired' && item !== 'must_change_password');
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `unknown reasons: ${bad.join(', ')}` });
      return items as Array<'password_expired' | 'must_change_password'>;
    }),
  /**
   * The group → scope policy (README "Groups and scopes"): a JSON object, or the path of a JSON file.
   * Unset: no policy, every allowed scope of the client may be granted (as before).
   */
  SCOPE_POLICY: z.string().min(1).optional(),
  /**
   * Bearer token (≥ 32 characters) of the identity service's admin-only diagnostics endpoint
   * (`GET /internal/v1/ldap/diagnose`). Unset: the endpoint answers 404. Not IDENTITY_INTERNAL_TOKEN: the
   * authorize and token services hold that one, and they must not read the directory's group structure.
   */
  LDAP_DIAGNOSTICS_TOKEN: z.string().min(32).optional(),

  // --- connected-apps dashboard ---
  /**
   * The public base URL under which `/account/…` (the dashboard of the revocation service) is served;
   * default: the issuer (one ingress). The authorize service sends the browser back there after a
   * dashboard sign-in, to a fixed path only (`/account/apps` or `/account/admin`): never an open redirect.
   */
  ACCOUNT_URL: z.string().url().regex(/^https?:\/\/[^?#]*$/, 'expected an http(s) URL without query or fragment').optional(),
  /** The public base URL of the authorize service's pages, where the dashboard sends a browser to sign in; default: the issuer. */
  AUTHORIZE_URL: z.string().url().regex(/^https?:\/\/[^?#]*$/, 'expected an http(s) URL without query or fragment').optional(),
  /**
   * The LDAP group (full DN, compared as a whole, never by its first RDN) whose members get the
   * dashboard's admin view. Default: `cn=admins,ou=groups,` + LDAP_BASE_DN without its leading `ou=`
   * RDNs (`cn=admins,ou=groups,dc=example,dc=org` for the default base).
   */
  ADMIN_GROUP_DN: z.string().min(3).max(512).optional(),
  // --- introspection ---
  /**
   * Introspection (and revocation) replicas: how many verified access tokens are remembered (by their
   * SHA-256, never their value, each until its exp), so a token presented again costs a hash and a map
   * lookup instead of a signature verification. The revocation set is still checked on every request;
   * a revoked signing key drops its tokens. 0: verify every time.
   */
  VERIFIED_TOKEN_CACHE_ENTRIES: int(0, 1_000_000).default(10_000),
  // --- audit ---
  /**
   * Bearer token (≥ 32 characters) of the revocation service's audit API (`GET /internal/v1/audit/events`,
   * `GET /internal/v1/audit/access`; compared in constant time). Unset: those paths answer 404. A token
   * of its own: whoever holds it reads who used which client when, for every user.
   */
  AUDIT_API_TOKEN: z.string().min(32).optional(),
  /** The most events one page of `GET /internal/v1/audit/events` (and of `npm run audit -- events`) holds: the ceiling of `limit`. */
  AUDIT_PAGE_SIZE_MAX: int(1, 10_000).default(1000),
  /**
   * How long the audit index (`audit_events`) keeps an event, seconds after its time; its monthly
   * partitions older than that are dropped. 0 (default): kept forever, like the log.
   */
  AUDIT_INDEX_RETENTION: int(0, 3_153_600_000).default(0),
  /** The projector host's partition maintenance (creating partitions ahead, dropping expired ones) runs every this many seconds. */
  PARTITION_MAINTENANCE_INTERVAL: int(60, 86_400).default(3600),
  /** Partitions are made this many seconds ahead (at least one day; default 7 days), so live rows never land in a default partition. */
  PARTITION_PREMAKE: int(86_400, 7_776_000).default(604_800),
  /** A partition of `access_tokens` is dropped this many seconds after all its tokens have expired (default one day). */
  PARTITION_DROP_GRACE: int(0, 31_536_000).default(86_400),
  /**
   * A partition of `revocations` (the tombstones the dashboard and the token service refuse by) is
   * dropped this many seconds after its revocations stopped covering access tokens, and never sooner
   * than REFRESH_TOKEN_TTL or PARTITION_DROP_GRACE (the longest a refresh family of the grant may live).
   * Raise it when a client's refresh_token_ttl is longer than REFRESH_TOKEN_TTL.
   */
  REVOCATION_TOMBSTONE_TTL: int(0, 315_360_000).default(0),
  /**
   * `retention.ms` of the topics the services create (not the compacted clients topic): -1 (default)
   * keeps the log forever, which the projections' rebuild and the audit need. A finite value (at least
   * one hour) requires archiving the log first (README "Audit"). Existing topics are not changed.
   */
  KAFKA_TOPIC_RETENTION_MS: int(-1, Number.MAX_SAFE_INTEGER).refine((value) => value === -1 || value >= 3_600_000, 'expected -1 (forever) or at least 3600000 (one hour)').default(-1),
  // --- observability ---
  /**
   * On SIGTERM, how long the service keeps serving after its readiness turned 503, before it stops
   * accepting connections, ms: the time the load balancer (Kubernetes endpoints, the ingress) needs to
   * notice and stop sending new requests. 0: stop accepting at once.
   */
  SHUTDOWN_DELAY_MS: int(0, 120_000).default(0),
  /**
   * On SIGTERM, how long requests in flight may take to finish once the service stopped accepting
   * connections, ms; connections still busy after it are closed. Then consumers stop (after committing
   * their finished work), the event publisher sends and settles what it holds, and pools close.
   */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /**
   * OpenTelemetry (standard variable): the OTLP/HTTP collector's base URL (`/v1/traces` is appended).
   * Traces are recorded only when this or OTEL_TRACES_EXPORTER=otlp is set; otherwise tracing is off
   * and costs nothing. The exporter also reads the other standard OTEL_EXPORTER_OTLP_* variables
   * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, headers, timeout).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** OpenTelemetry (standard variable): `otlp` turns tracing on (with the OTLP defaults), `none` turns it off whatever else is set. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  /** OpenTelemetry (standard variable): the `service.name` of this process's spans; default `authz-<service>`. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

export type Settings = z.infer<typeof settingsSchema> & { SERVICE: ServiceName; PORT: number; KAFKA_CLIENT_ID: string };

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function loadSettings(service: ServiceName, env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<string, string>> = {}): Settings {
  const source = { ...env, ...overrides };
  const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== '')));
  if (!parsed.success) {
    throw new SettingsError(`invalid settings: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return {
    ...parsed.data,
    SERVICE: service,
    PORT: parsed.data.PORT ?? DEFAULT_PORTS[service],
    KAFKA_CLIENT_ID: parsed.data.KAFKA_CLIENT_ID ?? `authz-${service}`,
  };
}

/** Settings whose default is fine for a laptop and wrong for production (node-oidc-provider's mustChange). */
export function unsafeDefaults(settings: Settings, env: NodeJS.ProcessEnv = process.env): string[] {
  const warnings: string[] = [];
  if (settings.MODE === 'distributed' && !settings.KEY_ENCRYPTION_KEY) {
    warnings.push('KEY_ENCRYPTION_KEY is not set: signing keys are encrypted with a development key. Set it in production.');
  }
  if (settings.MODE === 'distributed' && !env.ISSUER) warnings.push(`ISSUER is not set: using ${settings.ISSUER}. Set it to the public https URL of the suite.`);
  if (!settings.ISSUER.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(settings.ISSUER)) {
    warnings.push('ISSUER is not https: RFC 8414 §2 requires an https issuer.');
  }
  if (settings.MODE === 'distributed' && !env.LDAP_BIND_PASSWORD) warnings.push('LDAP_BIND_PASSWORD is the development default.');
  if (settings.MODE === 'distributed' && !settings.SESSION_KEYS && (settings.SERVICE === 'authorize' || settings.SERVICE === 'revocation' || settings.SERVICE === 'suite')) {
    warnings.push('SESSION_KEYS is not set: login sessions are encrypted with a development key (allowed for a loopback ISSUER only; any other refuses to start). Set it in production, the same in authorize and revocation (the dashboard).');
  }
  if (settings.MODE === 'distributed' && settings.SERVICE === 'identity' && !settings.IDENTITY_INTERNAL_TOKEN) {
    warnings.push('IDENTITY_INTERNAL_TOKEN is not set: /internal/v1/authenticate answers any caller that can reach it. Set it here and in the authorize and token services.');
  }
  if (settings.MODE === 'distributed' && !settings.CLIENT_SECRET_PEPPER) {
    warnings.push('CLIENT_SECRET_PEPPER is not set: client secrets are hashed with a development key. Set it in production.');
  }
  return warnings;
}
