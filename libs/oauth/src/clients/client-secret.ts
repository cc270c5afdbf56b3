import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { randomBase64url } from '../hash';

/** Bytes of a generated client secret or registration access token: 256 bits. */
export const CLIENT_SECRET_BYTES = 32;

/**
 * A new client secret or registration access token: 256 random bits, base64url (43 characters).
 * The server generates every secret (RFC 7591 §3.2.1); a client never chooses one.
 */
export function generateClientSecret(): string {
  return randomBase64url(CLIENT_SECRET_BYTES);
}

const HMAC_PREFIX = 'hmac-sha256:';
const SHA256_PREFIX = 'sha256:';
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/**
 * How client secrets and registration access tokens are stored: `hmac-sha256:` + base64url of
 * HMAC-SHA-256 keyed with the server's pepper (CLIENT_SECRET_PEPPER). Secrets are 256 random bits, so
 * a fast keyed hash is safe and no password KDF runs per request (a KDF capped Hydra at about 400
 * requests per second); the key means a copy of the log or a database alone cannot even test a guess.
 *
 * `matches` also accepts the unkeyed `sha256:` form of the seed file (deploy/seed/clients.json), so
 * seeds stay verifiable whatever the pepper. Both comparisons are constant-time over fixed-length
 * digests, and an unknown or malformed stored hash costs the same work and never matches.
 */
export class ClientSecretHasher {
  private readonly pepper: Buffer;

  /** `pepper`: the HMAC key, at least 32 bytes. */
  constructor(pepper: Buffer) {
    if (pepper.length < 32) throw new RangeError('ClientSecretHasher: the pepper must have at least 32 bytes');
    this.pepper = Buffer.from(pepper);
  }

  /** The stored form of a secret: `hmac-sha256:<base64url>`. */
  hash(secret: string): string {
    return `${HMAC_PREFIX}${this.hmac(secret).toString('base64url')}`;
  }

  /** Constant-time check of a presented secret against a stored `hmac-sha256:` or `sha256:` hash. */
  matches(secret: string, storedHash: string): boolean {
    const keyed = storedHash.startsWith(HMAC_PREFIX);
    const encoded = storedHash.slice(keyed ? HMAC_PREFIX.length : SHA256_PREFIX.length);
    const wellFormed = (keyed || storedHash.startsWith(SHA256_PREFIX)) && DIGEST.test(encoded);
    const actual = keyed ? this.hmac(secret) : createHash('sha256').update(secret, 'utf8').digest();
    const expected = wellFormed ? Buffer.from(encoded, 'base64url') : Buffer.alloc(actual.length);
    return timingSafeEqual(actual, expected) && wellFormed;
  }

  private hmac(secret: string): Buffer {
    return createHmac('sha256', this.pepper).update(secret, 'utf8').digest();
  }
}

/** A stored secret hash as it appears in events and the seed file. */
export const STORED_SECRET_HASH = /^(sha256|hmac-sha256):[A-Za-z0-9_-]{43}$/;
