import { createHash, randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { AuthenticatedUser } from '@authz/oauth';

/** A fixed development key (distributed mode without SESSION_KEYS; announced by a startup warning). */
export const DEVELOPMENT_SESSION_KEY = 'ZGV2ZWxvcG1lbnQtc2Vzc2lvbi1rZXktMzItYnl0ZXM';

type Key = { kid: string; secret: Uint8Array };

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

  /**
   * SESSION_KEYS, or a random key per process (embedded mode: one process reads its own cookies), or the
   * development key — only for a loopback issuer: with the development key, published in this
   * repository, anyone could forge a session for any user, so a deployment without SESSION_KEYS
   * refuses to start.
   */
  static fromSettings(settings: { SESSION_KEYS?: string; SESSION_TTL: number; MODE: string; ISSUER: string }): SessionCodec {
    if (settings.MODE !== 'embedded' && !settings.SESSION_KEYS && !isLoopbackIssuer(settings.ISSUER)) {
      throw new Error(`SESSION_KEYS must be set for the issuer ${settings.ISSUER}: without it, login sessions would be sealed with a published development key`);
    }
    const keys = settings.SESSION_KEYS?.split(',') ?? [settings.MODE === 'embedded' ? randomBytes(32).toString('base64url') : DEVELOPMENT_SESSION_KEY];
    return new SessionCodec(keys, settings.SESSION_TTL, settings.ISSUER);
  }

  get maxAgeSeconds(): number {
    return this.ttlSeconds;
  }

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

/** http(s)://localhost, 127.0.0.1 or [::1]: a developer's machine. */
export function isLoopbackIssuer(issuer: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(issuer).hostname);
  } catch {
    return false;
  }
}
