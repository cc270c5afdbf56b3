/**
 * Test doubles shared by the grant specs (a `.contract.ts` file: test code, excluded from the build).
 * They record what a grant asks for and answer what the test scripted; the real services are tested
 * in libs/token (PGlite) and end to end.
 */
import type { AuthorizationCodeGrant } from '../authorization-code';
import type { RegisteredClient } from '../clients/registered-client';
import { OAuthError } from '../errors';
import type { ScopePolicy } from '../scope-policy';
import type { RefreshFamilyState } from '../refresh-family';
import { handleTokenRequest } from '../token-endpoint';
import type {
  AccessTokenRequest,
  CodeRedemptionResult,
  CredentialsResult,
  GrantServices,
  IssuedAccessToken,
  PreparedAccessToken,
  RefreshExchangeResult,
  RefreshFamilyRequest,
  ResourceOwnerCredentials,
  TokenIssuer,
} from './grant-handler';

export const ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.fixed.signature';
export const REFRESH_TOKEN = 'refresh-token-generation-0';

/** A signed-but-unrecorded token as TokenIssuer.prepareAccessToken answers it (the event's jti: `jti-<n>`). */
export function preparedAccessToken(request: AccessTokenRequest, expiresIn: number, jti: string): PreparedAccessToken {
  const scope = request.scopes.join(' ');
  const grantId = request.grantId ?? 'grant-new';
  return {
    accessToken: ACCESS_TOKEN,
    expiresIn,
    scope,
    event: {
      type: 'oauth.access_token.issued.v1',
      subject: grantId,
      data: {
        jti,
        grantId,
        grantType: request.grantType,
        clientId: request.client.clientId,
        sub: request.subject,
        scope,
        audience: request.audience,
        issuedAt: 0,
        expiresAt: expiresIn,
        tokenHash: 'sha256:fixed',
      },
    },
  };
}

/** Records what the grants ask for; `issueAccessToken` is "published" at once, `prepareAccessToken` leaves it to the services. */
export class RecordingIssuer implements TokenIssuer {
  readonly requests: AccessTokenRequest[] = [];
  /** How each request was minted, in order. */
  readonly modes: Array<'issued' | 'prepared'> = [];

  async issueAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    this.requests.push(request);
    this.modes.push('issued');
    return { accessToken: ACCESS_TOKEN, expiresIn: 600, scope: request.scopes.join(' ') };
  }

  prepareAccessToken(request: AccessTokenRequest): PreparedAccessToken {
    this.requests.push(request);
    this.modes.push('prepared');
    return preparedAccessToken(request, 600, `jti-${this.requests.length}`);
  }
}

type Call = { method: string; argument: unknown };

/** Scripted GrantServices: codes from a map, a refresh exchange decided by the test, credentials by the test. */
export class FakeGrantServices implements GrantServices {
  readonly calls: Call[] = [];
  readonly codes = new Map<string, CodeRedemptionResult>();
  refreshFamily: RefreshFamilyState | null = null;
  refreshOutcome: 'rotated' | 'grace_retry' | 'reuse_detected' | 'refused' = 'rotated';
  credentials: CredentialsResult | Error = { outcome: 'refused' };
  scopePolicy?: ScopePolicy;
  /** Makes completeCodeRedemption fail (an outage after the code was spent). */
  completeCodeRedemptionError: Error | undefined;

  async redeemAuthorizationCode(codeHash: string): Promise<CodeRedemptionResult> {
    this.calls.push({ method: 'redeemAuthorizationCode', argument: codeHash });
    const redemption = this.codes.get(codeHash) ?? { outcome: 'unknown' };
    if (redemption.outcome === 'redeemed') this.codes.set(codeHash, { outcome: 'replayed', grantId: redemption.grant.grantId, clientId: redemption.grant.clientId });
    return redemption;
  }

  async restoreAuthorizationCode(codeHash: string, grant: AuthorizationCodeGrant): Promise<void> {
    this.calls.push({ method: 'restoreAuthorizationCode', argument: { codeHash, grantId: grant.grantId } });
    this.codes.set(codeHash, { outcome: 'redeemed', grant });
  }

  async completeCodeRedemption(codeHash: string, grant: AuthorizationCodeGrant, accessToken: PreparedAccessToken, refresh?: RefreshFamilyRequest): Promise<string | undefined> {
    this.calls.push({
      method: 'completeCodeRedemption',
      argument: { codeHash, grantId: grant.grantId, jti: accessToken.event.data.jti, ...(refresh ? { refresh: { ...refresh, client: refresh.client.clientId } } : {}) },
    });
    if (this.completeCodeRedemptionError) throw this.completeCodeRedemptionError;
    return refresh ? REFRESH_TOKEN : undefined;
  }

  async revokeGrant(revocation: Parameters<GrantServices['revokeGrant']>[0]): Promise<void> {
    this.calls.push({ method: 'revokeGrant', argument: revocation });
  }

  async issueRefreshToken(request: RefreshFamilyRequest, accessToken: PreparedAccessToken): Promise<string> {
    this.calls.push({ method: 'issueRefreshToken', argument: { ...request, client: request.client.clientId, jti: accessToken.event.data.jti } });
    return REFRESH_TOKEN;
  }

  async exchangeRefreshToken(request: Parameters<GrantServices['exchangeRefreshToken']>[0]): Promise<RefreshExchangeResult> {
    this.calls.push({ method: 'exchangeRefreshToken', argument: { tokenHash: request.tokenHash, client: request.client.clientId } });
    if (this.refreshOutcome === 'reuse_detected') return { outcome: 'reuse_detected' };
    if (this.refreshOutcome === 'refused' || !this.refreshFamily) return { outcome: 'refused', reason: 'unknown' };
    const accessToken = request.mint(this.refreshFamily);
    return { outcome: this.refreshOutcome, refreshToken: 'refresh-token-generation-1', accessToken };
  }

  async verifyCredentials(credentials: ResourceOwnerCredentials): Promise<CredentialsResult> {
    this.calls.push({ method: 'verifyCredentials', argument: { ...credentials, password: '<redacted>' } });
    if (this.credentials instanceof Error) throw this.credentials;
    return this.credentials;
  }
}

export function tokenRequester(clients: readonly RegisteredClient[]) {
  const issuer = new RecordingIssuer();
  const services = new FakeGrantServices();
  const findClient = async (clientId: string) => clients.find((client) => client.clientId === clientId) ?? null;
  const request = (body: Record<string, string>, authorizationHeader?: string) =>
    handleTokenRequest({ parameters: new Map(Object.entries(body)), authorizationHeader }, { findClient, issuer, services });
  return { issuer, services, request };
}

/** Everything a client sees of an error: its code, HTTP status, headers and JSON body. */
export async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { status: error.status, headers: error.headers, body: error.toBody() };
  }
  throw new Error('expected the token request to be refused');
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;
}
