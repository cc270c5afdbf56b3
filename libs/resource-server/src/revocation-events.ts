import type { RevocationSet } from './revocation-set';

/**
 * The revocation events of the suite's `oauth.revocations` topic, read without the suite's contracts
 * library (this package ships alone). The message value is a CloudEvents-style JSON envelope
 * `{specversion, id, source, type, time, subject, datacontenttype, data}`; only `type` and the `data`
 * members used here are checked. Unknown types are ignored (newer producers may add some); anything
 * malformed is ignored too and never throws (a poison message must not stop the feed).
 *
 * - `oauth.grant.revoked.v1` data `{grantId, clientId, subject?, reason, revokedAt (s), coversUntil? (s)}`
 * - `oauth.access_token.revoked.v1` data `{jti, grantId, clientId, sub, reason, revokedAt (s), expiresAt (s)}`
 */
export const GRANT_REVOKED_V1 = 'oauth.grant.revoked.v1';
export const ACCESS_TOKEN_REVOKED_V1 = 'oauth.access_token.revoked.v1';

export type RevocationEvent = { kind: 'grant'; grantId: string; untilSeconds: number } | { kind: 'token'; jti: string; untilSeconds: number };

export type RevocationParseOptions = {
  /** The longest access-token lifetime the verifier accepts, seconds (bounds a grant revocation without `coversUntil`). */
  maxTokenLifetimeSeconds: number;
  /** The verifier accepts a token until `exp` + this: the revocation is kept as long. */
  clockSkewSeconds: number;
};

export type ParsedRevocation = { event: RevocationEvent } | { ignored: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 512;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Reads one message value (bytes of the envelope). Never throws. */
export function parseRevocationMessage(value: Buffer | string | null | undefined, options: RevocationParseOptions): ParsedRevocation {
  if (value === null || value === undefined) return { ignored: 'empty message' };
  let envelope: unknown;
  try {
    envelope = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return { ignored: 'not JSON' };
  }
  if (!isObject(envelope) || typeof envelope.type !== 'string') return { ignored: 'not an event envelope' };
  const data = envelope.data;
  if (envelope.type === GRANT_REVOKED_V1) {
    if (!isObject(data) || !isId(data.grantId) || !isTime(data.revokedAt)) return { ignored: `invalid ${GRANT_REVOKED_V1}` };
    if (data.coversUntil !== undefined && !(isTime(data.coversUntil) && data.coversUntil > 0)) return { ignored: `invalid ${GRANT_REVOKED_V1}` };
    // Without coversUntil, the last token of the grant was issued before the revocation and lives at
    // most the longest accepted lifetime.
    const covers = typeof data.coversUntil === 'number' ? data.coversUntil : data.revokedAt + options.maxTokenLifetimeSeconds;
    return { event: { kind: 'grant', grantId: data.grantId, untilSeconds: covers + options.clockSkewSeconds } };
  }
  if (envelope.type === ACCESS_TOKEN_REVOKED_V1) {
    if (!isObject(data) || !isId(data.jti) || !isTime(data.expiresAt) || data.expiresAt <= 0) return { ignored: `invalid ${ACCESS_TOKEN_REVOKED_V1}` };
    return { event: { kind: 'token', jti: data.jti, untilSeconds: data.expiresAt + options.clockSkewSeconds } };
  }
  return { ignored: 'not a revocation event' };
}

/** Applies a parsed revocation to a set, unless every token it covers has expired at `nowSeconds`. */
export function applyRevocation(set: RevocationSet, event: RevocationEvent, nowSeconds: number): boolean {
  if (event.untilSeconds <= nowSeconds) return false;
  if (event.kind === 'grant') set.revokeGrant(event.grantId, event.untilSeconds);
  else set.revokeToken(event.jti, event.untilSeconds);
  return true;
}
