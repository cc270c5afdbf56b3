import { createHash, randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { type AuthenticatedUser, normalizeDn } from '@authz/oauth';

/** A fixed development key (distributed mode without SESSION_KEYS; announced by a startup warning). */
export const DEVELOPMENT_SESSION_KEY = 'ZGV2ZWxvcG1lbnQtc2Vzc2lvbi1rZXktMzItYnl0ZXM';

type Key = { kid: string; secret: Uint8Array };

/** A session as the dashboard reads it: the user, and the group DNs the session kept (full DNs, as the directory gave them). */
export type Session = { user: AuthenticatedUser; groups: string[] };

/** The cookie stays small (browsers keep ≤ 4096 bytes per cookie): at most this many groups … */
export const SESSION_MAX_GROUPS = 16;
/** … of at most this many characters together; groups beyond either cap are left out (never a wider right). */
export const SESSION_MAX_GROUP_CHARS = 1500;

/**
 * The groups a session carries: `preferred` (e.g. the admin group DN) first when the user is in it, then
 * the others in the directory's order, within the caps. Leaving a group out only ever takes a right away.
 */
export function sessionGroups(groups: readonly string[], preferred: readonly string[] = []): string[] {
  const wanted = new Set(preferred.map(normalizeDn));
  const ordered = [...groups.filter((group) => wanted.has(normalizeDn(group))), ...groups.filter((group) => !wanted.has(normalizeDn(group)))];
  const kept: string[] = [];
  let chars = 0;
  for (const group of ordered) {
    if (kept.length === SESSION_MAX_GROUPS || chars + group.length > SESSION_MAX_GROUP_CHARS || kept.includes(group)) continue;
    kept.push(group);
    chars += group.length;
  }
  return kept;
}

/**
 * ADMIN_GROUP_DN, else `cn=admins,ou=groups,` + LDAP_BASE_DN without its leading `ou=` RDNs (the
 * directory's suffix: `ou=people,dc=example,dc=org` and `dc=example,dc=org` both give
 * `cn=admins,ou=groups,dc=example,dc=org`).
 */
export function adminGroupDn(settings: { ADMIN_GROUP_DN?: string | undefined; LDAP_BASE_DN: string }): string {
  if (settings.ADMIN_GROUP_DN) return settings.ADMIN_GROUP_DN;
  const rdns = settings.LDAP_BASE_DN.split(/(?<!\\),/).map((rdn) => rdn.trim());
  while (rdns.length > 1 && /^ou\s*=/i.test(rdns[0]!)) rdns.shift();
  return `cn=admins,ou=groups,${rdns.join(',')}`;
}

/**
 * The login session, carried by the browser in a cookie: a JWE (dir, A256GCM) holding who logged in and
 * when, so any authorize replica reads it (no sticky sessions, no server-side session store).
 * Keys rotate: the first key encrypts, every key decrypts (found by `kid`, a hash of the key).
 */
export class SessionCodec {
  private readonly keys: Key[];

  constructor(
    keys: readonly string[],
    private readonly ttlSeconds: number,
    private readonly issuer: string,
  ) {
    if (keys.length === 0) throw new Error('at least one session key is needed');
    this.keys = keys.map((key) => {
      const secret = Buffer.from(key, 'base64url');
      if (secret.length !== 32) throw new Error('a session key is 32 bytes, base64url-encoded');
      return { kid: createHash('sha256').update(secret).digest('base64url').slice(0, 16), secret: new Uint8Array(secret) };
    });
  }

  /** The session's user and groups (none: an empty list), or undefined for anything else (as `open`). */
  async openSession(cookie: string | undefined, nowSeconds: number): Promise<Session | undefined> {
    const user = await this.open(cookie, nowSeconds);
    return user ? { user, groups: user.groups ?? [] } : undefined;
  }

  /**
   * SESSION_KEYS, or a random key per process (per settings object: embedded mode: one process reads its own cookies), or the
   * development key — only for a loopback issuer: with the development key, published in this
   * repository, anyone could forge a session for any user, so a deployment without SESSION_KEYS
   * refuses to start.
   */
  static fromSettings(settings: { SESSION_KEYS?: string; SESSION_TTL: number; MODE: string; ISSUER: string }): SessionCodec {
    if (settings.MODE !== 'embedded' && !settings.SESSION_KEYS && !isLoopbackIssuer(settings.ISSUER)) {
      throw new Error(`SESSION_KEYS must be set for the issuer ${settings.ISSUER}: without it, login sessions would be sealed with a published development key`);
    }
    const keys = settings.SESSION_KEYS?.split(',') ?? [settings.MODE === 'embedded' ? embeddedKey(settings) : DEVELOPMENT_SESSION_KEY];
    return new SessionCodec(keys, settings.SESSION_TTL, settings.ISSUER);
  }

  get maxAgeSeconds(): number {
    return this.ttlSeconds;
  }

  /** `user.groups`: the group DNs the session keeps, already chosen and capped (sessionGroups); absent from the cookie when none. */
  async seal(user: AuthenticatedUser, nowSeconds: number): Promise<string> {
    const key = this.keys[0]!;
    return new EncryptJWT({ username: user.username, auth_time: user.authTime, ...(user.groups && user.groups.length > 0 ? { groups: user.groups } : {}) })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: key.kid })
      .setSubject(user.subject)
      .setIssuer(this.issuer)
      .setAudience(`${this.issuer}#session`)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.ttlSeconds)
      .encrypt(key.secret);
  }

  /** The session's user, or undefined for anything else (absent, expired, tampered, an unknown key). */
  async open(cookie: string | undefined, nowSeconds: number): Promise<AuthenticatedUser | undefined> {
    if (!cookie || cookie.length > 4096) return undefined;
    try {
      const { payload } = await jwtDecrypt(cookie, async (header) => {
        const key = this.keys.find((candidate) => candidate.kid === header.kid);
        if (!key) throw new Error('unknown session key');
        return key.secret;
      }, { issuer: this.issuer, audience: `${this.issuer}#session`, currentDate: new Date(nowSeconds * 1000), keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      const { sub, username, auth_time: authTime, groups } = payload;
      if (typeof sub !== 'string' || typeof username !== 'string' || typeof authTime !== 'number') return undefined;
      if (groups !== undefined && !(Array.isArray(groups) && groups.every((group) => typeof group === 'string'))) return undefined;
      return { subject: sub, username, authTime, ...(groups !== undefined ? { groups: groups as string[] } : {}) };
    } catch {
      return undefined;
    }
  }
}

/**
 * The embedded mode's random key, one per settings object: every codec a process makes from its
 * settings (the login page's, the dashboard's) opens the others' cookies.
 */
const embeddedKeys = new WeakMap<object, string>();

function embeddedKey(settings: object): string {
  let key = embeddedKeys.get(settings);
  if (key === undefined) {
    key = randomBytes(32).toString('base64url');
    embeddedKeys.set(settings, key);
  }
  return key;
}

/** http(s)://localhost, 127.0.0.1 or [::1]: a developer's machine. */
export function isLoopbackIssuer(issuer: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(issuer).hostname);
  } catch {
    return false;
  }
}
