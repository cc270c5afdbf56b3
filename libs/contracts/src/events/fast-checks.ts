import { accessTokenGrantType } from './common';
import type { EventType } from './registry';

/**
 * Hand-written predicates for the events published on a hot path, used by createEnvelope before the
 * zod schema: `true` means the schema accepts the payload as it is (same verdict, a few times cheaper);
 * `false` sends the payload to the schema, which rejects it with its precise message. Each predicate
 * must agree with its schema on every input: fast-checks.spec.ts compares them on valid payloads and
 * on every single-field mutation of them. Events without one are checked by their schema alone.
 */
export const FAST_CHECKS: Partial<Record<EventType, (data: unknown) => boolean>> = {
  'oauth.access_token.issued.v1': isAccessTokenIssuedV1,
};

const ISSUED_KEYS = new Set(['jti', 'grantId', 'grantType', 'clientId', 'sub', 'scope', 'audience', 'issuedAt', 'expiresAt', 'tokenHash']);
const GRANT_TYPES: ReadonlySet<string> = new Set(accessTokenGrantType.options);
const SHA256_HASH = /^sha256:[A-Za-z0-9_-]{43}$/;

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function isAccessTokenIssuedV1(data: unknown): boolean {
  if (!isPlainRecord(data)) return false;
  const keys = Object.keys(data);
  if (keys.length !== ISSUED_KEYS.size || !keys.every((key) => ISSUED_KEYS.has(key))) return false;
  const audience = data.audience;
  if (!Array.isArray(audience) || audience.length === 0) return false;
  for (let index = 0; index < audience.length; index += 1) if (!nonEmpty(audience[index])) return false;
  return (
    nonEmpty(data.jti) &&
    nonEmpty(data.grantId) &&
    GRANT_TYPES.has(data.grantType as string) &&
    nonEmpty(data.clientId) &&
    nonEmpty(data.sub) &&
    typeof data.scope === 'string' &&
    Number.isInteger(data.issuedAt) &&
    (data.issuedAt as number) >= 0 &&
    Number.isInteger(data.expiresAt) &&
    (data.expiresAt as number) > 0 &&
    typeof data.tokenHash === 'string' &&
    SHA256_HASH.test(data.tokenHash)
  );
}
