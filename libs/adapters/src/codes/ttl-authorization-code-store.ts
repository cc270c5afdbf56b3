import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MAX_AUTHORIZATION_CODE_TTL_SECONDS, type AuthorizationCodeGrant } from '@authz/oauth';
import type { AuthorizationCodeStore, ClaimResult, Clock, CodeRedemption, TtlStore } from '@authz/ports';

export type TtlAuthorizationCodeStoreOptions = {
  store: TtlStore;
  clock: Clock;
  /**
   * How long a redeemed code stays recognisable as a replay (RFC 6749 §4.1.2: a second use must fail and
   * should revoke what the first issued). After it, a replay is merely unknown (still invalid_grant).
   * Default 10 minutes.
   */
  replayWindowMs?: number;
};

const storedGrant = z
  .object({
    grantId: z.string().min(1),
    clientId: z.string().min(1),
    redirectUri: z.string().optional(),
    scopes: z.array(z.string()),
    resources: z.array(z.string()).optional(),
    subject: z.string().min(1),
    authTime: z.number().int(),
    codeChallenge: z.string().optional(),
    codeChallengeMethod: z.enum(['S256', 'plain']).optional(),
    issuedAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .strict();

const owner = z.object({ grantId: z.string().min(1), clientId: z.string().min(1) }).strict();

/**
 * Authorization codes over the TtlStore port (Redis in production, the in-memory twin in the all-in-one
 * mode), keyed by the code's hash (`code:<sha256 hash>`), never by the code.
 *
 * Saving writes the grant under `code:` for its lifetime and the grant's owner under `code-owner:` for the
 * replay window. Redeeming claims the code and reads its grant in one atomic step (TtlStore.claim: one
 * Redis script): `code-spent:` is set to a random attempt id, kept for the replay window, only when the
 * code is live and not claimed yet. Of concurrent redemptions exactly one claims it and gets the grant;
 * every other one (and every later one within the replay window) finds the claim and learns, from
 * `code-owner:`, which grant to revoke. The two keys differ only by prefix; a Redis Cluster adapter
 * would need them in one hash slot (`{hash}` tags): this one speaks to a single Redis.
 *
 * A claim whose answer is lost (the store hung past the command timeout, then ran the command) would
 * turn the client's retry, which the 503 invites, into a replay that revokes the grant. So a claim that
 * fails is withdrawn at once (`deleteIfEquals` with the attempt id: sent behind the claim on the same
 * connection, it runs after it, and never withdraws another redemption's claim). `restore` (the
 * redemption failed after the claim, on an outage) withdraws the claim; the grant itself never left.
 */
export class TtlAuthorizationCodeStore implements AuthorizationCodeStore {
  private readonly replayWindowMs: number;

  constructor(private readonly options: TtlAuthorizationCodeStoreOptions) {
    this.replayWindowMs = options.replayWindowMs ?? 600_000;
  }

  async save(codeHash: string, grant: AuthorizationCodeGrant): Promise<void> {
    const nowSeconds = Math.floor(this.options.clock.now().getTime() / 1000);
    const lifetime = grant.expiresAt - nowSeconds;
    if (lifetime < 1 || lifetime > MAX_AUTHORIZATION_CODE_TTL_SECONDS) {
      throw new RangeError(`an authorization code lives 1 to ${MAX_AUTHORIZATION_CODE_TTL_SECONDS} s, not ${lifetime} s`);
    }
    const record = storedGrant.parse(grant);
    // The owner first: a code is never redeemable without its replay record.
    await this.options.store.set(ownerKey(codeHash), JSON.stringify({ grantId: record.grantId, clientId: record.clientId }), this.replayWindowMs);
    await this.options.store.set(codeKey(codeHash), JSON.stringify(record), lifetime * 1000);
  }

  async restore(codeHash: string, grant: AuthorizationCodeGrant): Promise<void> {
    if (grant.expiresAt * 1000 - this.options.clock.now().getTime() < 1) return;
    await this.options.store.delete(spentKey(codeHash));
  }

  async redeem(codeHash: string): Promise<CodeRedemption> {
    const { store } = this.options;
    const attempt = randomBytes(16).toString('base64url');
    let claimed: ClaimResult;
    try {
      // The claim and the read in one atomic step (one round trip): a code never issued or expired is
      // not claimed, so it never reads as a replay.
      claimed = await store.claim(spentKey(codeHash), attempt, this.replayWindowMs, codeKey(codeHash));
    } catch (error) {
      // Not awaited: a hung store answers neither; the withdrawal still runs right after the claim.
      store.deleteIfEquals(spentKey(codeHash), attempt).catch(() => undefined);
      throw error;
    }
    if (claimed.outcome === 'taken') {
      const recorded = owner.safeParse(parseJson(await store.get(ownerKey(codeHash))));
      return recorded.success ? { outcome: 'replayed', ...recorded.data } : { outcome: 'unknown' };
    }
    if (claimed.outcome === 'missing') return { outcome: 'unknown' };
    const grant = storedGrant.safeParse(parseJson(claimed.value));
    if (!grant.success) return { outcome: 'unknown' };
    if (grant.data.expiresAt * 1000 <= this.options.clock.now().getTime()) return { outcome: 'unknown' };
    return { outcome: 'redeemed', grant: grant.data };
  }
}

function codeKey(codeHash: string): string {
  return `code:${codeHash}`;
}

function spentKey(codeHash: string): string {
  return `code-spent:${codeHash}`;
}

function ownerKey(codeHash: string): string {
  return `code-owner:${codeHash}`;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
