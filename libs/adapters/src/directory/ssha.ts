import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Salted SHA password values as OpenLDAP stores them in userPassword (RFC 2307 style):
 * `{SSHA}` + base64(SHA-1(password ‖ salt) ‖ salt), and likewise `{SSHA256}` / `{SSHA512}`
 * (SHA-256 / SHA-512; slappasswd's pw-sha2 module). The password is taken as UTF-8 bytes.
 */
export const SALTED_SHA_SCHEMES = {
  SSHA: { algorithm: 'sha1', digestLength: 20 },
  SSHA256: { algorithm: 'sha256', digestLength: 32 },
  SSHA512: { algorithm: 'sha512', digestLength: 64 },
} as const;

export type SaltedShaScheme = keyof typeof SALTED_SHA_SCHEMES;

export type SaltedShaHash = { scheme: SaltedShaScheme; digest: Buffer; salt: Buffer };

/** The `{SCHEME}` prefix of a userPassword value, upper-cased; null when there is none (plaintext). */
export function passwordScheme(stored: string): string | null {
  const match = /^\{([A-Za-z0-9._-]+)\}/.exec(stored);
  return match ? match[1]!.toUpperCase() : null;
}

export function isSaltedShaScheme(scheme: string | null): scheme is SaltedShaScheme {
  return scheme !== null && Object.hasOwn(SALTED_SHA_SCHEMES, scheme);
}

/**
 * Splits a `{SSHA…}` value into digest and salt; null for other schemes and for malformed values
 * (bad base64, or no salt at all: like OpenLDAP, at least one salt byte is required).
 */
export function parseSaltedSha(stored: string): SaltedShaHash | null {
  const scheme = passwordScheme(stored);
  if (!isSaltedShaScheme(scheme)) return null;
  const encoded = stored.slice(scheme.length + 2).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  const decoded = Buffer.from(encoded, 'base64');
  const { digestLength } = SALTED_SHA_SCHEMES[scheme];
  if (decoded.length <= digestLength) return null;
  return { scheme, digest: decoded.subarray(0, digestLength), salt: decoded.subarray(digestLength) };
}

/** True when `password` matches the `{SSHA}`/`{SSHA256}`/`{SSHA512}` value; false otherwise (also for other schemes). Constant time in the digest. */
export function verifySaltedSha(password: string, stored: string): boolean {
  const parsed = parseSaltedSha(stored);
  if (!parsed) return false;
  const actual = saltedDigest(parsed.scheme, password, parsed.salt);
  return timingSafeEqual(actual, parsed.digest);
}

/** Hashes a password the way `slappasswd -h '{SSHA}'` does (8 random salt bytes by default; slappasswd uses 4). */
export function hashSaltedSha(password: string, scheme: SaltedShaScheme = 'SSHA', salt: Buffer = randomBytes(8)): string {
  if (salt.length === 0) throw new Error('hashSaltedSha: the salt must not be empty');
  return `{${scheme}}${Buffer.concat([saltedDigest(scheme, password, salt), salt]).toString('base64')}`;
}

function saltedDigest(scheme: SaltedShaScheme, password: string, salt: Buffer): Buffer {
  return createHash(SALTED_SHA_SCHEMES[scheme].algorithm).update(Buffer.from(password, 'utf8')).update(salt).digest();
}
