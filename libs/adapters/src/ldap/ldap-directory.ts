import {
  type AuthenticationResult,
  type Directory,
  DirectoryUnavailableError,
  type DirectoryUser,
  type Logger,
  silentLogger,
} from '@authz/ports';
import { Client, type ClientOptions, type Entry, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import { isLoopbackHost } from '../loopback';
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
  /** `ldap://host:port` or `ldaps://host:port` (proto/host/port only). */
  url: string;
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
  /** TLS settings for `ldaps://` URLs (ignored, with a warning, for `ldap://`: no StartTLS yet). */
  tls?: LdapTlsOptions;
  logger?: Logger;
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

/** The reused service-account connection. `bound`: its first bind succeeded; `used`: it has served a search. */
type ServiceConnection = { client: Client; ready: Promise<void>; bound: boolean; used: boolean };

type FoundUser = { user: DirectoryUser };

/**
 * The user directory on an LDAP server (OpenLDAP, 389-DS, Active Directory…), through ldapts.
 *
 * - Searches run as the service account on ONE reused connection: bound once, and after any
 *   connection error thrown away and bound afresh on the next call. It is created with ldapts'
 *   `autoRebind`, so a transparent reconnect never runs a search anonymously (an anonymous search
 *   finds nobody, which would turn an outage into "wrong password" for everyone).
 * - `authenticate` binds as the user on a separate short-lived connection: exactly one bind, never
 *   retried, always unbound and closed afterwards.
 * - Wrong password and unknown user give the same `invalid_credentials`; anything else that goes
 *   wrong (refused, timeout, busy, unavailable, a rejected service account, any other LDAP result)
 *   rejects with DirectoryUnavailableError, which the caller must never count as a failed login.
 *
 * No pooling or failover yet: one server URL.
 */
export class LdapDirectory implements Directory {
  private readonly url: string;
  private readonly bindDn: string;
  private readonly bindPassword: string;
  private readonly baseDn: string;
  private readonly userFilter: UserFilter;
  private readonly attributes: LdapAttributeMap;
  private readonly nameAttributes: readonly string[];
  private readonly requestedAttributes: string[];
  private readonly connectTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly tlsOptions: ClientOptions['tlsOptions'];
  private readonly logger: Logger;
  private service: ServiceConnection | undefined;
  private closed = false;

  constructor(options: LdapDirectoryOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') {
      throw new Error(`LdapDirectory: url must be ldap:// or ldaps://, got ${url.protocol}//`);
    }
    if (!options.bindDn || !options.bindPassword) {
      // An empty password would make the service "bind" an unauthenticated one (RFC 4513 §5.1.2).
      throw new Error('LdapDirectory: bindDn and bindPassword are required (no anonymous or unauthenticated service bind)');
    }
    if (!options.baseDn) throw new Error('LdapDirectory: baseDn is required');
    this.url = options.url;
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
    this.connectTimeoutMs = positive(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    // Only for ldaps://: ldapts switches to TLS whenever any tlsOptions value is defined, whatever the URL says.
    this.tlsOptions = url.protocol === 'ldaps:' ? { ca: options.tls?.ca, rejectUnauthorized: options.tls?.rejectUnauthorized ?? true } : undefined;
    this.logger = (options.logger ?? silentLogger).child({ component: 'ldap-directory', url: this.url });
    if (url.protocol === 'ldap:' && !isLoopbackHost(url.hostname)) {
      this.logger.warn({}, 'LDAP over plain ldap:// to a remote host: user passwords cross the network unencrypted; use ldaps://');
    }
    if (url.protocol === 'ldap:' && options.tls) {
      this.logger.warn({}, 'LDAP tls options are ignored for an ldap:// URL (StartTLS is not supported yet); use ldaps://');
    }
    if (url.protocol === 'ldaps:' && this.tlsOptions?.rejectUnauthorized === false) {
      this.logger.warn({}, 'LDAP TLS certificate verification is OFF (tls.rejectUnauthorized=false): anyone on the path can read passwords');
    }
  }

  async findUser(username: string): Promise<DirectoryUser | null> {
    const found = await this.search(username);
    return found?.user ?? null;
  }

  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    // An empty password would be an "unauthenticated bind", which servers answer with success
    // (RFC 4513 §5.1.2): refuse it before any network traffic.
    if (password.length === 0) return { outcome: 'invalid_credentials' };
    const found = await this.search(username);
    if (!found) return { outcome: 'invalid_credentials' };
    const { user } = found;

    const client = this.newClient(false);
    try {
      await client.bind(user.dn, password);
      this.logger.debug({ dn: user.dn }, 'LDAP user bind succeeded');
      return { outcome: 'authenticated', user };
    } catch (error) {
      if (isInvalidCredentials(error)) {
        this.logger.debug({ dn: user.dn }, 'LDAP user bind rejected: invalid credentials');
        return { outcome: 'invalid_credentials' };
      }
      throw this.unavailable('user bind', error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Readiness: a fresh connection, a service-account bind, an unbind. */
  async ping(): Promise<void> {
    this.assertOpen();
    const client = this.newClient(false);
    try {
      await client.bind(this.bindDn, this.bindPassword);
    } catch (error) {
      throw this.unavailable('ping', error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const service = this.service;
    this.service = undefined;
    if (service) await service.client.unbind().catch(() => undefined);
  }

  /** The entry for a username, or null when there is none (or more than one). */
  private async search(username: string): Promise<FoundUser | null> {
    this.assertOpen();
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const filter = this.userFilter(username);
    const run = async (connection: ServiceConnection): Promise<Entry[]> => {
      await connection.ready;
      const result = await connection.client.search(this.baseDn, {
        scope: 'sub',
        filter,
        attributes: this.requestedAttributes,
        sizeLimit: 2,
        timeLimit: Math.max(1, Math.ceil(this.timeoutMs / 1000)),
      });
      connection.used = true;
      return result.searchEntries;
    };

    let entries: Entry[];
    const connection = this.serviceConnection();
    try {
      entries = await run(connection);
    } catch (error) {
      this.discard(connection);
      // A connection that served before may have died quietly (server restart, idle timeout, a
      // firewall): one more try on a fresh one. Never for LDAP results or timeouts.
      if (!connection.used || !isStaleConnectionError(error)) throw this.unavailable('user search', error);
      this.logger.info({ err: errorMessage(error) }, 'LDAP service connection lost; reconnecting once');
      const fresh = this.serviceConnection();
      try {
        entries = await run(fresh);
      } catch (retryError) {
        this.discard(fresh);
        throw this.unavailable('user search', retryError);
      }
    }

    if (entries.length === 0) return null;
    if (entries.length > 1) {
      this.logger.warn({ matches: entries.map((entry) => entry.dn) }, 'LDAP user search is ambiguous (more than one entry); treated as not found');
      return null;
    }
    const user = this.toUser(entries[0]!, username);
    return user ? { user } : null;
  }

  private toUser(entry: Entry, typed: string): DirectoryUser | null {
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
    return {
      subject,
      dn: entry.dn,
      username,
      ...(name !== undefined ? { name } : {}),
      ...(email !== undefined ? { email } : {}),
      groups: values(entry, this.attributes.groups),
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

  private serviceConnection(): ServiceConnection {
    const current = this.service;
    // isBound turns false when ldapts sees the socket close: start over rather than letting
    // several concurrent calls reconnect the same client.
    if (current && (!current.bound || current.client.isBound)) return current;
    if (current) this.discard(current);
    const client = this.newClient(true);
    const connection: ServiceConnection = { client, ready: client.bind(this.bindDn, this.bindPassword), bound: false, used: false };
    connection.ready.then(
      () => (connection.bound = true),
      () => this.discard(connection),
    );
    this.service = connection;
    return connection;
  }

  private discard(connection: ServiceConnection): void {
    if (this.service === connection) this.service = undefined;
    void connection.client.unbind().catch(() => undefined);
  }

  private newClient(autoRebind: boolean): Client {
    return new Client({
      url: this.url,
      connectTimeout: this.connectTimeoutMs,
      timeout: this.timeoutMs,
      tlsOptions: this.tlsOptions,
      autoRebind,
    });
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
