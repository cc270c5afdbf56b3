import {
  type AuthenticationResult,
  type Directory,
  type DirectoryDiagnosis,
  DirectoryUnavailableError,
  type DirectoryUser,
  type Logger,
  type ResolvedGroup,
  silentLogger,
} from '@authz/ports';
import { type ConnectionOptions } from 'node:tls';
import { type Entry, InvalidCredentialsError, PasswordPolicyControl, PasswordPolicyError, ResultCodeError } from 'ldapts';
import { isLoopbackHost } from '../loopback';
import { refusalReason } from './bind-refusal';
import { type GroupOptions, resolveGroups } from './group-resolver';
import { CircuitBreaker, failedOnReusedConnection, LdapPool, type LdapServerOptions, newClient, startTlsIfConfigured } from './ldap-pool';
import { compileUserFilter, DEFAULT_USER_FILTER, type UserFilter } from './user-filter';

/** Which LDAP attribute feeds which DirectoryUser field. Attribute names are matched case-insensitively. */
export type LdapAttributeMap = {
  /** The stable `sub`: `uid` (default), or `entryUUID` when uids may be renamed or reused. Exactly one value. */
  subject: string;
  /** The login name: `uid` (default). */
  username: string;
  /** Display name: the first of these attributes that has a value (default `displayName`, then `cn`). */
  name: string | readonly string[];
  /** E-mail address (default `mail`; first value). */
  email: string;
  /** Group DNs (default `memberOf`, the operational attribute of the memberof overlay; every value, in full). */
  groups: string;
};

export type LdapTlsOptions = {
  /** PEM CA certificate(s) that issued the server's certificate; the system store when absent. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify the server's certificate (default true). false is for throwaway test servers only and logs a warning. */
  rejectUnauthorized?: boolean;
};

export type LdapDirectoryOptions = {
  /** `ldap://host:port` or `ldaps://host:port` (proto/host/port only); several: failover, in order of preference. */
  url: string | readonly string[];
  /** StartTLS (RFC 4511 §4.14) on ldap:// URLs before any bind (default false). */
  startTls?: boolean;
  /** The service account used for searches and readiness, e.g. `cn=authz-service,ou=services,dc=example,dc=org`. */
  bindDn: string;
  bindPassword: string;
  /** Base of the user search (subtree), e.g. `ou=people,dc=example,dc=org`. */
  baseDn: string;
  /**
   * RFC 4515 filter template; `{username}` stands for the username as typed (it is put in as a
   * literal assertion value, never parsed). Default `(&(objectClass=inetOrgPerson)(uid={username}))`.
   */
  userFilter?: string;
  attributes?: Partial<LdapAttributeMap>;
  /** TCP (and TLS) connect timeout in ms (default 3000). */
  connectTimeoutMs?: number;
  /** Per-operation timeout in ms (bind, search; default 5000). Also sent to the server as the search time limit. */
  timeoutMs?: number;
  /** TLS settings for `ldaps://` URLs and StartTLS (ignored, with a warning, for `ldap://` without StartTLS). */
  tls?: LdapTlsOptions;
  /** Connections per server and pool (searches; user binds), and how long an idle one is kept (default 10, 240000 ms). */
  pool?: { size?: number; idleMs?: number };
  /** Circuit breaker per server: consecutive infrastructure failures that open it, and for how long (default 3, 10000 ms). */
  breaker?: { failures?: number; openMs?: number };
  /** How often servers with an open breaker are probed and idle connections evicted, ms (default 10000; 0: never). */
  healthCheckIntervalMs?: number;
  /** How groups are found and how deep nesting is followed (default memberOf, no nesting). */
  groups?: Partial<Omit<GroupOptions, 'memberOfAttribute'>>;
  /** The most groups a user's `groups` holds (the groups claim; default 200). */
  maxGroups?: number;
  /**
   * How long a user search's answer (DN, attributes, groups) is reused for the next login of the same
   * username, ms (default 0: every login searches). The bind is never cached: a disabled, locked or
   * expired account is refused by its bind at once; only group and attribute changes wait this long.
   * A refused bind forgets the entry.
   */
  userCacheMs?: number;
  logger?: Logger;
  /** Metrics hook: each user bind's server, duration (seconds) and outcome (README "Metrics"). */
  onBind?: (server: string, seconds: number, outcome: 'success' | 'refused' | 'error') => void;
};

export const DEFAULT_LDAP_ATTRIBUTES: LdapAttributeMap = {
  subject: 'uid',
  username: 'uid',
  name: ['displayName', 'cn'],
  email: 'mail',
  groups: 'memberOf',
};

/** Usernames longer than this are not searched for (nobody has one; it bounds the work an anonymous caller can cause). */
export const MAX_USERNAME_LENGTH = 256;

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_TIMEOUT_MS = 5000;

type Server = { url: string; options: LdapServerOptions; breaker: CircuitBreaker; search: LdapPool; bind: LdapPool };

type FoundUser = { user: DirectoryUser; groups: ResolvedGroup[]; server: Server };

/** Failed before the request was sent (connect, TLS, the connection's preparation): safe to send elsewhere. */
class NotSentError extends Error {
  override readonly name = 'NotSentError';
}

/**
 * The user directory on LDAP servers (OpenLDAP, 389-DS, Active Directory…), through ldapts.
 *
 * - Several server URLs, in order of preference. Each has a circuit breaker: after `breakerFailures`
 *   consecutive infrastructure failures it is skipped for `breakerOpenMs`, then tried again (half-open:
 *   one request, or the health check's probe). The first server whose breaker lets a request through is
 *   used, so traffic returns to the first server as soon as it recovers.
 * - Per server, a pool of service-account connections for searches (bound once, idle ones closed after
 *   `poolIdleMs`, below AD's 900 s and hardened DCs' 300 s) and a pool of connections for user binds.
 *   A pooled connection never reconnects by itself (see newClient): a dropped one is thrown away.
 * - StartTLS or ldaps:// with a configurable CA; certificates are checked unless turned off (warning).
 * - `authenticate` searches (failing over to the next server on an infrastructure error; a search is
 *   safe to repeat), then binds as the user exactly once on the server that found them, never retried:
 *   a retried bind would count twice against the directory's own lockout. Only a bind that could not
 *   even be sent (no connection) may go to the next server.
 * - The bind carries the password policy request control: OpenLDAP's ppolicy answer (expired, locked,
 *   must change, grace logins) and AD's sub-codes in the diagnostic message give the refusal's reason.
 * - Groups: memberOf, a group search or AD's in-chain rule, nested groups resolved with a depth limit
 *   and cycle detection; full DNs only.
 * - Infrastructure errors (refused, timeout, busy, unavailable, a rejected service account) reject with
 *   DirectoryUnavailableError, which the caller must never count as a failed login.
 */
export class LdapDirectory implements Directory {
  private readonly servers: Server[];
  private readonly bindDn: string;
  private readonly bindPassword: string;
  private readonly baseDn: string;
  private readonly userFilter: UserFilter;
  private readonly attributes: LdapAttributeMap;
  private readonly nameAttributes: readonly string[];
  private readonly requestedAttributes: string[];
  private readonly timeoutMs: number;
  private readonly groupOptions: GroupOptions;
  private readonly maxGroups: number;
  private readonly logger: Logger;
  private readonly onBind: LdapDirectoryOptions['onBind'];
  private readonly healthTimer: NodeJS.Timeout | undefined;
  private readonly userCacheMs: number;
  private readonly userCache = new Map<string, { found: FoundUser; expires: number }>();
  private closed = false;

  constructor(options: LdapDirectoryOptions) {
    const urls = (Array.isArray(options.url) ? options.url : [options.url]).map((url) => url.trim()).filter((url) => url.length > 0);
    if (urls.length === 0) throw new Error('LdapDirectory: at least one url is required');
    const parsed = urls.map((url) => {
      const parsedUrl = new URL(url);
      if (parsedUrl.protocol !== 'ldap:' && parsedUrl.protocol !== 'ldaps:') {
        throw new Error(`LdapDirectory: url must be ldap:// or ldaps://, got ${parsedUrl.protocol}//`);
      }
      return parsedUrl;
    });
    if (!options.bindDn || !options.bindPassword) {
      // An empty password would make the service "bind" an unauthenticated one (RFC 4513 §5.1.2).
      throw new Error('LdapDirectory: bindDn and bindPassword are required (no anonymous or unauthenticated service bind)');
    }
    if (!options.baseDn) throw new Error('LdapDirectory: baseDn is required');
    this.bindDn = options.bindDn;
    this.bindPassword = options.bindPassword;
    this.baseDn = options.baseDn;
    this.userFilter = compileUserFilter(options.userFilter ?? DEFAULT_USER_FILTER);
    this.attributes = { ...DEFAULT_LDAP_ATTRIBUTES, ...options.attributes };
    this.nameAttributes = typeof this.attributes.name === 'string' ? [this.attributes.name] : this.attributes.name;
    this.requestedAttributes = uniqueCaseless([
      this.attributes.subject,
      this.attributes.username,
      ...this.nameAttributes,
      this.attributes.email,
      this.attributes.groups,
    ]);
    const connectTimeoutMs = positive(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.groupOptions = {
      mode: options.groups?.mode ?? 'memberOf',
      baseDn: options.groups?.baseDn ?? this.baseDn,
      objectFilter: options.groups?.objectFilter ?? '(objectClass=groupOfNames)',
      memberAttribute: options.groups?.memberAttribute ?? 'member',
      memberOfAttribute: this.attributes.groups,
      maxDepth: options.groups?.maxDepth ?? 0,
    };
    this.maxGroups = options.maxGroups ?? 200;
    this.userCacheMs = options.userCacheMs ?? 0;
    this.logger = (options.logger ?? silentLogger).child({ component: 'ldap-directory' });
    this.onBind = options.onBind;
    const startTls = options.startTls ?? false;
    const tls: ConnectionOptions = { ca: options.tls?.ca, rejectUnauthorized: options.tls?.rejectUnauthorized ?? true };
    const pool = { size: options.pool?.size ?? 10, idleMs: options.pool?.idleMs ?? 240_000 };
    if (pool.idleMs >= 300_000) this.logger.warn({ idleMs: pool.idleMs }, 'LDAP pool idle limit is 300 s or more: hardened Active Directory drops idle connections at 300 s');

    this.servers = parsed.map((url, index) => {
      const serverOptions: LdapServerOptions = {
        url: urls[index]!,
        startTls: startTls && url.protocol === 'ldap:',
        tls: url.protocol === 'ldaps:' || startTls ? tls : undefined,
        connectTimeoutMs,
        timeoutMs: this.timeoutMs,
      };
      const healthyAfter = (error: unknown) => error instanceof ResultCodeError && !INFRASTRUCTURE_RESULT_CODES.has(error.code);
      const searchPool = new LdapPool(
        serverOptions,
        {
          max: pool.size,
          idleMs: pool.idleMs,
          acquireTimeoutMs: this.timeoutMs,
          prepare: async (client) => {
            await this.notSent(async () => startTlsIfConfigured(client, serverOptions));
            await client.bind(this.bindDn, this.bindPassword);
          },
        },
        healthyAfter,
      );
      const bindPool = new LdapPool(
        serverOptions,
        {
          max: pool.size,
          idleMs: pool.idleMs,
          acquireTimeoutMs: this.timeoutMs,
          // Connected (and TLS-upgraded) before the user's bind is sent, so a dead server never sees the password.
          prepare: async (client) =>
            this.notSent(async () => {
              await startTlsIfConfigured(client, serverOptions);
              await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
            }),
        },
        healthyAfter,
      );
      return {
        url: urls[index]!,
        options: serverOptions,
        breaker: new CircuitBreaker(options.breaker?.failures ?? 3, options.breaker?.openMs ?? 10_000),
        search: searchPool,
        bind: bindPool,
      };
    });

    for (const url of parsed) {
      if (url.protocol === 'ldap:' && !startTls && !isLoopbackHost(url.hostname)) {
        this.logger.warn({ url: url.href }, 'LDAP over plain ldap:// to a remote host: user passwords cross the network unencrypted; use ldaps:// or StartTLS');
      }
    }
    if (parsed.some((url) => url.protocol === 'ldap:') && !startTls && options.tls) {
      this.logger.warn({}, 'LDAP tls options are ignored for an ldap:// URL without StartTLS; use ldaps:// or startTls');
    }
    if (tls.rejectUnauthorized === false && (startTls || parsed.some((url) => url.protocol === 'ldaps:'))) {
      this.logger.warn({}, 'LDAP TLS certificate verification is OFF (tls.rejectUnauthorized=false): anyone on the path can read passwords');
    }
    const healthCheckMs = options.healthCheckIntervalMs ?? 10_000;
    if (healthCheckMs > 0) {
      this.healthTimer = setInterval(() => void this.healthCheck(), healthCheckMs);
      this.healthTimer.unref();
    }
  }

  async findUser(username: string): Promise<DirectoryUser | null> {
    const found = await this.cachedSearch(username);
    return found?.user ?? null;
  }

  async diagnose(username: string): Promise<DirectoryDiagnosis | null> {
    const found = await this.search(username);
    return found ? { server: found.server.url, user: found.user, groups: found.groups } : null;
  }

  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    // An empty password would be an "unauthenticated bind", which servers answer with success
    // (RFC 4513 §5.1.2): refuse it before any network traffic.
    if (password.length === 0) return { outcome: 'invalid_credentials' };
    const found = await this.cachedSearch(username);
    if (!found) return { outcome: 'invalid_credentials' };
    const { user } = found;
    // The server that found the user first (unless its breaker is open); another only when the bind could not even be sent.
    const available = this.candidates();
    const candidates = available.includes(found.server) ? [found.server, ...available.filter((server) => server !== found.server)] : available;
    let lastError: unknown = new Error('no LDAP server may be tried now (circuit breakers open)');
    for (const server of candidates) {
      if (!this.admits(server)) continue;
      const policy = new PasswordPolicyControl();
      const bindStarted = performance.now();
      try {
        await server.bind.use((client) => client.bind(user.dn, password, policy));
        this.onBind?.(server.url, (performance.now() - bindStarted) / 1000, 'success');
        server.breaker.success();
      } catch (error) {
        this.onBind?.(server.url, (performance.now() - bindStarted) / 1000, isInvalidCredentials(error) ? 'refused' : 'error');
        if (isInvalidCredentials(error)) {
          server.breaker.success();
          this.userCache.delete(caseIgnore(username));
          const reason = refusalReason(policy.value, error instanceof Error ? error.message : '');
          this.logger.debug({ dn: user.dn, reason, server: server.url }, 'LDAP user bind refused');
          return reason === 'invalid_credentials' ? { outcome: 'invalid_credentials' } : { outcome: 'invalid_credentials', reason };
        }
        if (error instanceof ResultCodeError && !INFRASTRUCTURE_RESULT_CODES.has(error.code)) {
          server.breaker.success();
          throw this.unavailable('user bind', error);
        }
        server.breaker.failure();
        lastError = error;
        if (error instanceof NotSentError) continue;
        throw this.unavailable('user bind', error);
      }
      // ppolicy: a successful bind after an administrator's reset must change the password first.
      if (policy.value?.error === PasswordPolicyError.ChangeAfterReset) {
        this.userCache.delete(caseIgnore(username));
        return { outcome: 'invalid_credentials', reason: 'must_change_password' };
      }
      this.logger.debug({ dn: user.dn, server: server.url }, 'LDAP user bind succeeded');
      const warning = {
        ...(policy.value?.graceAuthNsRemaining !== undefined ? { graceLoginsRemaining: policy.value.graceAuthNsRemaining } : {}),
        ...(policy.value?.timeBeforeExpiration !== undefined ? { expiresInSeconds: policy.value.timeBeforeExpiration } : {}),
      };
      return Object.keys(warning).length > 0 ? { outcome: 'authenticated', user, passwordPolicy: warning } : { outcome: 'authenticated', user };
    }
    throw this.unavailable('user bind', lastError);
  }

  /** Readiness: some server answers a service-account search. */
  async ping(): Promise<void> {
    this.assertOpen();
    await this.withFailover('ping', (server) => server.search.use((client) => client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] })));
  }

  /** Per server: its breaker state and pool sizes (diagnostics, tests, metrics). */
  status(): Array<{ url: string; breaker: 'closed' | 'open' | 'half_open'; searchConnections: number; bindConnections: number; searchIdle: number; bindIdle: number }> {
    return this.servers.map((server) => ({
      url: server.url,
      breaker: server.breaker.state,
      searchConnections: server.search.size,
      bindConnections: server.bind.size,
      searchIdle: server.search.idleCount,
      bindIdle: server.bind.idleCount,
    }));
  }

  /**
   * Probes every server whose breaker is not closed (a fresh connection and a service-account bind),
   * closing the breaker when it answers; and evicts idle connections everywhere.
   */
  async healthCheck(): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      this.servers.map(async (server) => {
        server.search.evictIdle();
        server.bind.evictIdle();
        if (server.breaker.state === 'closed') return;
        const client = newClient(server.options);
        try {
          await startTlsIfConfigured(client, server.options);
          await client.bind(this.bindDn, this.bindPassword);
          server.breaker.success();
          this.logger.info({ server: server.url }, 'LDAP server answers again');
        } catch {
          server.breaker.failure();
        } finally {
          await client.unbind().catch(() => undefined);
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    await Promise.all(this.servers.flatMap((server) => [server.search.close(), server.bind.close()]));
  }

  /** Servers whose breaker is not open, in order of preference; all of them (a last resort) when every one is open. */
  private candidates(): Server[] {
    const usable = this.servers.filter((server) => server.breaker.state !== 'open');
    return usable.length > 0 ? usable : this.servers;
  }

  /**
   * Whether a request may go to this candidate now: a closed breaker, the one trial of a half-open one, or
   * any server when all are open (asked only just before the request, so a trial is never taken unused).
   */
  private admits(server: Server): boolean {
    return server.breaker.state === 'open' || server.breaker.allows();
  }

  /** Runs a repeatable operation (a search) on the first available server, the next on an infrastructure error. */
  private async withFailover<T>(operation: string, work: (server: Server) => Promise<T>): Promise<{ result: T; server: Server }> {
    let lastError: unknown = new Error('no LDAP server may be tried now (circuit breakers open)');
    for (const server of this.candidates()) {
      if (!this.admits(server)) continue;
      try {
        const result = await this.withStaleRetry(operation, server, work);
        server.breaker.success();
        return { result, server };
      } catch (error) {
        if (error instanceof ResultCodeError && !INFRASTRUCTURE_RESULT_CODES.has(error.code)) {
          // The server answered: a configuration problem (rejected service account, wrong base), not an outage.
          server.breaker.success();
          throw this.unavailable(operation, error);
        }
        server.breaker.failure();
        lastError = error;
        if (this.servers.length > 1) this.logger.warn({ operation, server: server.url, err: errorMessage(error) }, 'LDAP server failed; trying the next one');
      }
    }
    throw this.unavailable(operation, lastError);
  }

  /** A reused connection may have died quietly (server restart, idle timeout, a firewall): one more try on a fresh one. */
  private async withStaleRetry<T>(operation: string, server: Server, work: (server: Server) => Promise<T>): Promise<T> {
    try {
      return await work(server);
    } catch (error) {
      if (!failedOnReusedConnection(error) || !isStaleConnectionError(error)) throw error;
      this.logger.info({ operation, server: server.url, err: errorMessage(error) }, 'LDAP service connection lost; reconnecting once');
      return await work(server);
    }
  }

  /** `search`, reusing a found entry for `userCacheMs` (never a "not found": a new user is found at once). */
  private async cachedSearch(username: string): Promise<FoundUser | null> {
    if (this.userCacheMs <= 0) return this.search(username);
    const key = caseIgnore(username);
    const now = Date.now();
    const cached = this.userCache.get(key);
    if (cached && cached.expires > now) return cached.found;
    const found = await this.search(username);
    this.userCache.delete(key);
    if (found) {
      if (this.userCache.size >= 10_000) this.userCache.delete(this.userCache.keys().next().value!);
      this.userCache.set(key, { found, expires: now + this.userCacheMs });
    }
    return found;
  }

  /** The entry for a username (and its groups), or null when there is none (or more than one). */
  private async search(username: string): Promise<FoundUser | null> {
    this.assertOpen();
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const filter = this.userFilter(username);
    const { result, server } = await this.withFailover('user search', (candidate) =>
      candidate.search.use(async (client) => {
        const { searchEntries } = await client.search(this.baseDn, {
          scope: 'sub',
          filter,
          attributes: this.requestedAttributes,
          sizeLimit: 2,
          timeLimit: Math.max(1, Math.ceil(this.timeoutMs / 1000)),
        });
        if (searchEntries.length !== 1) return { entries: searchEntries, groups: [] as ResolvedGroup[] };
        const entry = searchEntries[0]!;
        const groups = await resolveGroups(entry.dn, values(entry, this.attributes.groups), this.groupOptions, async (base, scope, groupFilter, attributes) => {
          const found = await client.search(base, { scope, filter: groupFilter, attributes, timeLimit: Math.max(1, Math.ceil(this.timeoutMs / 1000)) });
          return found.searchEntries.map((groupEntry) => ({ dn: groupEntry.dn, values: (attribute: string) => values(groupEntry, attribute) }));
        });
        return { entries: searchEntries, groups };
      }),
    );
    const { entries, groups } = result;
    if (entries.length === 0) return null;
    if (entries.length > 1) {
      this.logger.warn({ matches: entries.map((entry) => entry.dn) }, 'LDAP user search is ambiguous (more than one entry); treated as not found');
      return null;
    }
    const user = this.toUser(entries[0]!, username, groups);
    return user ? { user, groups, server } : null;
  }

  private toUser(entry: Entry, typed: string, groups: ResolvedGroup[]): DirectoryUser | null {
    const subject = this.single(entry, this.attributes.subject, typed);
    const username = this.single(entry, this.attributes.username, typed);
    if (!subject || !username) {
      this.logger.warn(
        { dn: entry.dn, subjectAttribute: this.attributes.subject, usernameAttribute: this.attributes.username },
        'LDAP entry has no single subject or username value; treated as not found',
      );
      return null;
    }
    const name = this.nameAttributes.map((attribute) => values(entry, attribute)[0]).find((value) => value !== undefined);
    const email = values(entry, this.attributes.email)[0];
    if (groups.length > this.maxGroups) {
      this.logger.warn({ dn: entry.dn, groups: groups.length, kept: this.maxGroups }, 'LDAP user has more groups than the groups claim may hold; the rest are left out');
    }
    return {
      subject,
      dn: entry.dn,
      username,
      ...(name !== undefined ? { name } : {}),
      ...(email !== undefined ? { email } : {}),
      groups: groups.slice(0, this.maxGroups).map((group) => group.dn),
    };
  }

  /**
   * The one value of a subject/username attribute. Of several values (uid is multi-valued in the
   * schema) only the one equal to what was typed (caseIgnoreMatch) is acceptable; anything else is
   * ambiguous.
   */
  private single(entry: Entry, attribute: string, typed: string): string | undefined {
    const found = values(entry, attribute);
    if (found.length === 1) return found[0];
    const wanted = caseIgnore(typed);
    const matching = found.filter((value) => caseIgnore(value) === wanted);
    return matching.length === 1 ? matching[0] : undefined;
  }

  private async notSent(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof ResultCodeError && !INFRASTRUCTURE_RESULT_CODES.has(error.code)) throw error;
      throw new NotSentError(errorMessage(error), { cause: error });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DirectoryUnavailableError('LDAP directory is closed');
  }

  private unavailable(operation: string, error: unknown): DirectoryUnavailableError {
    const err = errorMessage(error);
    if (operation !== 'user bind' && isInvalidCredentials(error)) {
      this.logger.error({ operation, bindDn: this.bindDn, err }, 'LDAP service account bind rejected: check bindDn / bindPassword');
    } else {
      this.logger.warn({ operation, err }, 'LDAP directory unavailable');
    }
    return new DirectoryUnavailableError(`LDAP directory unavailable (${operation}): ${err}`, { cause: error });
  }
}

/** LDAP results that mean "the server cannot serve now", not an answer: operationsError, timeLimitExceeded, adminLimitExceeded, busy, unavailable, other. */
const INFRASTRUCTURE_RESULT_CODES = new Set([1, 3, 11, 51, 52, 80]);

function isInvalidCredentials(error: unknown): boolean {
  return error instanceof InvalidCredentialsError || (error instanceof ResultCodeError && error.code === 49);
}

/**
 * A socket-level failure on a reused connection (not an LDAP result, not our own timeout):
 * "Connection closed before message response…", "Socket error…", ECONNRESET, EPIPE.
 */
function isStaleConnectionError(error: unknown): boolean {
  if (error instanceof ResultCodeError || !(error instanceof Error)) return false;
  return !/timed? ?out/i.test(error.message);
}

/** Values of an attribute as strings, its name matched case-insensitively (servers may return another spelling). */
function values(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  const key = Object.keys(entry).find((name) => name !== 'dn' && name.toLowerCase() === wanted);
  if (key === undefined) return [];
  const raw = entry[key];
  const list: Array<string | Buffer> = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((value) => (typeof value === 'string' ? value : value.toString('utf8'))).filter((value) => value.length > 0);
}

/** Approximates caseIgnoreMatch (RFC 4518): case folded, outer spaces dropped, inner runs of spaces as one. */
function caseIgnore(value: string): string {
  return value.normalize('NFKC').trim().replace(/ +/g, ' ').toLowerCase();
}

function uniqueCaseless(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`LdapDirectory: ${name} must be a positive number of ms, got ${value}`);
  return value;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ? `${(error as NodeJS.ErrnoException).code}: ${error.message}` : error.message;
  return String(error);
}
