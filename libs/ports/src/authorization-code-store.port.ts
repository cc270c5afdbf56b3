import type { AuthorizationCodeGrant } from '@authz/oauth';

export type CodeRedemption =
  /** First redemption: the code is gone from the store from now on. */
  | { outcome: 'redeemed'; grant: AuthorizationCodeGrant }
  /** The code was already redeemed (RFC 6749 §4.1.2: revoke what the first redemption issued). */
  | { outcome: 'replayed'; grantId: string; clientId: string }
  /** Never issued, or expired. */
  | { outcome: 'unknown' };

/**
 * Authorization codes (Redis, or the in-memory twin), keyed by `sha256Hash(code)`, never by the code.
 * `redeem` is atomic (one Lua script / GETDEL): of two concurrent redemptions exactly one gets
 * `redeemed`; the other, and every later one while the replay marker lives, gets `replayed`.
 * An unreachable store rejects with TtlStoreUnavailableError.
 */
export interface AuthorizationCodeStore {
  save(codeHash: string, grant: AuthorizationCodeGrant): Promise<void>;
  redeem(codeHash: string): Promise<CodeRedemption>;
  /**
   * Makes a redeemed code redeemable again, until its original expiry: the redemption failed for want
   * of a dependency (503 temporarily_unavailable promises that a retry may succeed, RFC 6749 §5.2), so
   * the retry must not be taken for a replay. Does nothing once the code has expired.
   */
  restore(codeHash: string, grant: AuthorizationCodeGrant): Promise<void>;
}
