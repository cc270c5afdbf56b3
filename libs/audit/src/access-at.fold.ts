import { assertNever, type Envelope } from '@authz/contracts';

/** Whose access is asked about: a user (the `sub` of a grant's events) or a client. */
export type AccessParty = { user: string } | { client: string };

/** An access token that was valid at the instant asked about. Times are seconds since the epoch. */
export type AccessTokenAtT = { jti: string; scope: string; audience: string[]; issuedAt: number; expiresAt: number; kid: string | null };

/** A refresh token family that was usable at the instant asked about. */
export type RefreshFamilyAtT = { familyId: string; scope: string; generation: number; issuedAt: number; expiresAt: number; idleExpiresAt: number };

/** An authorization code issued and not yet redeemed nor expired at the instant asked about. */
export type PendingCodeAtT = { issuedAt: number; expiresAt: number };

export type GrantAtT = {
  grantId: string;
  clientId: string;
  /** The resource owner (the client id for client_credentials), null when no event of the grant names one. */
  subject: string | null;
  accessTokens: AccessTokenAtT[];
  refreshFamilies: RefreshFamilyAtT[];
  pendingCode: PendingCodeAtT | null;
};

/** The answer to "who could access what at T": the grants with something valid at `at`, sorted by grant id. */
export type AccessAtT = { at: number; party: AccessParty; grants: GrantAtT[] };

type TokenState = { jti: string; scope: string; audience: string[]; issuedAt: number; expiresAt: number };
type FamilyState = { familyId: string; scope: string; issuedAt: number; expiresAt: number; idle: Array<{ at: number; generation: number; idleExpiresAt: number }>; reuseAt: number | null };
type GrantState = {
  grantId: string;
  clientId: string | null;
  subject: string | null;
  revokedAt: number | null;
  tokens: Map<string, TokenState>;
  families: Map<string, FamilyState>;
  code: { issuedAt: number; expiresAt: number } | null;
  codeRedeemedAt: number | null;
};
type KeyState = { kid: string; activatedAt: number | null; revokedAt: number | null };

/** What the fold keeps of the log: enough to answer for any instant. */
export type AccessLedger = { grants: Map<string, GrantState>; tokenRevokedAt: Map<string, number>; keys: Map<string, KeyState> };

export function emptyLedger(): AccessLedger {
  return { grants: new Map(), tokenRevokedAt: new Map(), keys: new Map() };
}

const earliest = (known: number | null | undefined, at: number): number => (known === null || known === undefined ? at : Math.min(known, at));

function grantOf(ledger: AccessLedger, grantId: string): GrantState {
  let grant = ledger.grants.get(grantId);
  if (!grant) {
    grant = { grantId, clientId: null, subject: null, revokedAt: null, tokens: new Map(), families: new Map(), code: null, codeRedeemedAt: null };
    ledger.grants.set(grantId, grant);
  }
  return grant;
}

function keyOf(ledger: AccessLedger, kid: string): KeyState {
  let key = ledger.keys.get(kid);
  if (!key) {
    key = { kid, activatedAt: null, revokedAt: null };
    ledger.keys.set(kid, key);
  }
  return key;
}

/**
 * Folds one event into the ledger (pure apart from mutating the ledger it is given; no I/O, no clock).
 * Order-independent: every fact is kept with the time the event states (`issuedAt`, `revokedAt`, …),
 * the earliest revocation wins, so the log's topics may be read in any interleaving and a redelivered
 * event changes nothing.
 */
export function evolveAccessLedger(ledger: AccessLedger, event: Envelope): AccessLedger {
  switch (event.type) {
    case 'oauth.authorization_code.issued.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      grant.subject ??= event.data.sub;
      grant.code = { issuedAt: event.data.issuedAt, expiresAt: event.data.expiresAt };
      return ledger;
    }
    case 'oauth.authorization_code.redeemed.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      grant.subject ??= event.data.sub;
      grant.codeRedeemedAt = earliest(grant.codeRedeemedAt, event.data.redeemedAt);
      return ledger;
    }
    case 'oauth.access_token.issued.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      grant.subject ??= event.data.sub;
      const { jti, scope, audience, issuedAt, expiresAt } = event.data;
      if (!grant.tokens.has(jti)) grant.tokens.set(jti, { jti, scope, audience: [...audience], issuedAt, expiresAt });
      return ledger;
    }
    case 'oauth.refresh_token.issued.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      grant.subject ??= event.data.sub;
      const family = grant.families.get(event.data.familyId);
      const first = { at: event.data.issuedAt, generation: 0, idleExpiresAt: event.data.idleExpiresAt };
      if (family) {
        Object.assign(family, { scope: event.data.scope, issuedAt: event.data.issuedAt, expiresAt: event.data.expiresAt });
        if (!family.idle.some((step) => step.generation === 0)) family.idle.push(first);
      } else {
        grant.families.set(event.data.familyId, { familyId: event.data.familyId, scope: event.data.scope, issuedAt: event.data.issuedAt, expiresAt: event.data.expiresAt, idle: [first], reuseAt: null });
      }
      return ledger;
    }
    case 'oauth.refresh_token.rotated.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      let family = grant.families.get(event.data.familyId);
      if (!family) {
        // A rotation read before its family's issuance (another partition, or a truncated log): kept, never valid without it.
        family = { familyId: event.data.familyId, scope: '', issuedAt: Number.POSITIVE_INFINITY, expiresAt: 0, idle: [], reuseAt: null };
        grant.families.set(event.data.familyId, family);
      }
      if (!family.idle.some((step) => step.generation === event.data.generation)) {
        family.idle.push({ at: event.data.rotatedAt, generation: event.data.generation, idleExpiresAt: event.data.idleExpiresAt });
      }
      return ledger;
    }
    case 'oauth.refresh_token.reuse_detected.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId = event.data.clientId;
      const family = grant.families.get(event.data.familyId);
      if (family) family.reuseAt = earliest(family.reuseAt, event.data.detectedAt);
      else grant.families.set(event.data.familyId, { familyId: event.data.familyId, scope: '', issuedAt: Number.POSITIVE_INFINITY, expiresAt: 0, idle: [], reuseAt: event.data.detectedAt });
      return ledger;
    }
    case 'oauth.grant.revoked.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId ??= event.data.clientId;
      if (event.data.subject !== undefined) grant.subject ??= event.data.subject;
      grant.revokedAt = earliest(grant.revokedAt, event.data.revokedAt);
      return ledger;
    }
    case 'oauth.access_token.revoked.v1': {
      const grant = grantOf(ledger, event.data.grantId);
      grant.clientId ??= event.data.clientId;
      grant.subject ??= event.data.sub;
      ledger.tokenRevokedAt.set(event.data.jti, earliest(ledger.tokenRevokedAt.get(event.data.jti), event.data.revokedAt));
      return ledger;
    }
    case 'oauth.signing_key.activated.v1': {
      const key = keyOf(ledger, event.data.kid);
      key.activatedAt = earliest(key.activatedAt, event.data.activatedAt);
      return ledger;
    }
    case 'oauth.signing_key.revoked.v1': {
      const key = keyOf(ledger, event.data.kid);
      key.revokedAt = earliest(key.revokedAt, event.data.revokedAt);
      return ledger;
    }
    case 'oauth.signing_key.published.v1':
    case 'oauth.signing_key.published.v2':
    case 'oauth.signing_key.retired.v1':
    case 'oauth.consent.granted.v1':
    case 'oauth.user.authenticated.v1':
    case 'oauth.user.authentication_failed.v1':
    case 'oauth.client.registered.v1':
    case 'oauth.client.updated.v1':
    case 'oauth.client.deleted.v1':
      // A consent, a login or a client's registration gives no access by itself; a retired key still verifies.
      return ledger;
    default:
      return assertNever(event);
  }
}

/**
 * The key that signed a token issued at `issuedAt`: the one activated last at or before it (every token
 * replica switches at the activation instant). Null when the log names no such key (keys older than
 * oauth.signing_key.activated.v1): such a token is not affected by a key revocation in this answer.
 */
export function signingKeyAt(ledger: AccessLedger, issuedAt: number): KeyState | null {
  let found: KeyState | null = null;
  for (const key of ledger.keys.values()) {
    if (key.activatedAt === null || key.activatedAt > issuedAt) continue;
    if (found === null || key.activatedAt > found.activatedAt! || (key.activatedAt === found.activatedAt && key.kid > found.kid)) found = key;
  }
  return found;
}

const revokedBy = (revokedAt: number | null | undefined, at: number): boolean => revokedAt !== null && revokedAt !== undefined && revokedAt <= at;

/**
 * "Who could access what at T" (seconds since the epoch). An access token was valid at T when it was
 * issued at or before T, T is before its `exp` (RFC 7519 §4.1.4: not valid on or after exp), and neither
 * its grant, its jti nor the key that signed it was revoked at or before T. A refresh family was usable
 * at T when it was opened at or before T, T is before its absolute expiry and before the idle deadline
 * set by its latest rotation at or before T, and neither its grant was revoked nor reuse detected at or
 * before T. A code was pending when issued at or before T, not expired at T, not redeemed at or before T,
 * its grant not revoked. A grant is listed when at least one of the three holds.
 */
export function accessAt(ledger: AccessLedger, party: AccessParty, at: number): AccessAtT {
  const grants: GrantAtT[] = [];
  for (const grant of ledger.grants.values()) {
    if ('user' in party ? grant.subject !== party.user : grant.clientId !== party.client) continue;
    if (revokedBy(grant.revokedAt, at)) continue;
    const accessTokens = [...grant.tokens.values()]
      .filter((token) => token.issuedAt <= at && at < token.expiresAt && !revokedBy(ledger.tokenRevokedAt.get(token.jti), at))
      .map((token) => ({ token, key: signingKeyAt(ledger, token.issuedAt) }))
      .filter(({ key }) => !revokedBy(key?.revokedAt, at))
      .map(({ token, key }) => ({ ...token, audience: [...token.audience], kid: key?.kid ?? null }))
      .sort((a, b) => compare(a.jti, b.jti));
    const refreshFamilies = [...grant.families.values()]
      .flatMap((family) => {
        if (family.issuedAt > at || at >= family.expiresAt || revokedBy(family.reuseAt, at)) return [];
        const latest = family.idle.filter((step) => step.at <= at).sort((a, b) => b.generation - a.generation)[0];
        if (!latest || at >= latest.idleExpiresAt) return [];
        return [{ familyId: family.familyId, scope: family.scope, generation: latest.generation, issuedAt: family.issuedAt, expiresAt: family.expiresAt, idleExpiresAt: latest.idleExpiresAt }];
      })
      .sort((a, b) => compare(a.familyId, b.familyId));
    const code = grant.code;
    const pendingCode = code && code.issuedAt <= at && at < code.expiresAt && !revokedBy(grant.codeRedeemedAt, at) ? { ...code } : null;
    if (accessTokens.length === 0 && refreshFamilies.length === 0 && pendingCode === null) continue;
    grants.push({ grantId: grant.grantId, clientId: grant.clientId ?? '', subject: grant.subject, accessTokens, refreshFamilies, pendingCode });
  }
  return { at, party, grants: grants.sort((a, b) => compare(a.grantId, b.grantId)) };
}

/** Folds `events` (any order) and answers for `party` at `at`. */
export function computeAccessAt(events: Iterable<Envelope>, party: AccessParty, at: number): AccessAtT {
  const ledger = emptyLedger();
  for (const event of events) evolveAccessLedger(ledger, event);
  return accessAt(ledger, party, at);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
