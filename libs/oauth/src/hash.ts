import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * `sha256:` + base64url(SHA-256(value)). How codes, tokens and high-entropy client secrets are stored,
 * keyed and named in events (never by their value).
 */
export function sha256Hash(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}

/** Constant-time check of `value` against a `sha256:` hash. */
export function matchesSha256Hash(value: string, expectedHash: string): boolean {
  const actual = Buffer.from(sha256Hash(value));
  const expected = Buffer.from(expectedHash);
  // Both sides are fixed-length encodings of a digest; a length mismatch means a malformed stored hash.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
