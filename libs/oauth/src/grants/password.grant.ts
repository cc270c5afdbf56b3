import { randomIdentifier } from '../access-token';
import { InvalidGrant } from '../errors';
import { parameterValues, requireParameter } from '../form';
import { parseResources, resolveAudience } from '../resource';
import { resolveRequestedScope, responseScope } from '../scope';
import { applyScopePolicy } from '../scope-policy';
import { familyAudience } from './authorization-code.grant';
import type { GrantHandler, IssuedAccessToken } from './grant-handler';

/**
 * Resource owner password credentials grant (RFC 6749 §4.3), for legacy clients only: RFC 9700 §2.4
 * says it "MUST NOT be used", so it is off unless a client is registered for it, and confidential
 * clients only (a public client would be an anonymous password oracle). The identity service checks
 * the credentials over a synchronous call (one LDAP bind; never over Kafka); a wrong password, an
 * unknown user and a lockout get the same invalid_grant; an outage is 503 temporarily_unavailable.
 */
/** invalid_grant descriptions: generic, except what the identity service chose to disclose (LOGIN_DISCLOSE_REASONS). */
const REFUSALS = {
  invalid: 'the resource owner credentials are invalid',
  password_expired: 'the password has expired and must be changed',
  must_change_password: 'the password must be changed before signing in',
} as const;

export const passwordGrant: GrantHandler = {
  grantType: 'password',
  parameters: ['username', 'password', 'scope', 'resource'],
  allowsPublicClients: false,
  async handle({ parameters, client, issuer, services }) {
    const username = requireParameter(parameters, 'username');
    const password = requireParameter(parameters, 'password');
    const requestedScope = parameters.get('scope');
    const requestedScopes = resolveRequestedScope(requestedScope, client.scope, client.defaultScope);
    const audience = resolveAudience(parseResources(parameterValues(parameters, 'resource')), client.audience);

    const verdict = await services.verifyCredentials({ username, password, clientId: client.clientId });
    if (verdict.outcome !== 'authenticated') throw new InvalidGrant(REFUSALS[verdict.reason ?? 'invalid']);
    // The group → scope policy drops what this user may not have (RFC 6749 §3.3: `scope` in the response says so).
    const scopes = services.scopePolicy ? applyScopePolicy(services.scopePolicy, client.clientId, verdict.groups ?? [], requestedScopes).granted : requestedScopes;

    const grantId = randomIdentifier();
    const tokenRequest = { client, grantType: 'password' as const, grantId, subject: verdict.subject, scopes, audience, authTime: verdict.authTime };
    let accessToken: IssuedAccessToken;
    let refreshToken: string | undefined;
    if (client.grantTypes.includes('refresh_token')) {
      // The access token's event and the refresh family's in one acknowledgement.
      const prepared = issuer.prepareAccessToken(tokenRequest);
      refreshToken = await services.issueRefreshToken(
        {
          client,
          grantId,
          grantType: 'password',
          subject: verdict.subject,
          scopes,
          audience: familyAudience(undefined, client.audience, client.clientId),
          authTime: verdict.authTime,
        },
        prepared,
      );
      accessToken = prepared;
    } else {
      accessToken = await issuer.issueAccessToken(tokenRequest);
    }
    const scope = responseScope(requestedScope, scopes);
    return {
      access_token: accessToken.accessToken,
      token_type: 'Bearer',
      expires_in: accessToken.expiresIn,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      ...(scope === undefined ? {} : { scope }),
    };
  },
};
