import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `sha256:` + base64url(SHA-256(value)). How codes, tokens and high-entropy client secrets are stored,
 * keyed and named in events (never by their value).
 */
export function sha256Hash(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}

/** Constant-time check of `value` against a `sha256:` hash. */
export function matchesSha256Hash(value: string, expectedHash: string): boolean {
  // Both sides are fixed-length encodings of a digest; a length mismatch means a malformed stored hash.
  return constantTimeEquals(sha256Hash(value), expectedHash);
}

/**
 * Constant-time equality of two strings (their UTF-8 bytes). Only the length can leak: use it on
 * fixed-length values (digests, challenges), never to compare a secret of secret length.
 */
export function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A well-formed `sha256:` hash no value has (its digest is all zero bits): compared against when nothing is stored, so a miss costs the same work. */
export const UNMATCHABLE_HASH = `sha256:${'A'.repeat(43)}`;

/** `bytes` random bytes, base64url without padding: refresh tokens, client secrets (32 bytes: 256 bits), client ids. */
export function randomBase64url(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
