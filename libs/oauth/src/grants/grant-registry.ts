import type { GrantType } from '@authz/contracts';
import { authorizationCodeGrant } from './authorization-code.grant';
import { clientCredentialsGrant } from './client-credentials.grant';
import type { GrantHandler } from './grant-handler';
import { passwordGrant } from './password.grant';
import { refreshTokenGrant } from './refresh-token.grant';

/**
 * Every grant the token endpoint serves. Adding a grant: one file in this folder, one line here.
 * A grant type the suite knows but does not serve yet is absent, and answers unsupported_grant_type.
 */
export const GRANT_HANDLERS: Partial<Record<GrantType, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
};

export function supportedGrantTypes(): GrantType[] {
  return Object.keys(GRANT_HANDLERS) as GrantType[];
}
