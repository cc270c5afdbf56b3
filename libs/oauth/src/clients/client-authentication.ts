import { InvalidClient, InvalidRequest } from '../errors';
import type { OAuthParameters } from '../form';
import { matchesSha256Hash } from '../hash';
import type { ClientAuthMethod, RegisteredClient } from './registered-client';

/** A well-formed hash no secret has (its digest is all zero bits). */
const UNMATCHABLE_HASH = `sha256:${'A'.repeat(43)}`;

export type AuthenticatedClient = { client: RegisteredClient; method: ClientAuthMethod };

type PresentedCredentials =
  | { method: 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'none'; clientId: string };

/**
 * Authenticates the client of a token, introspection or revocation request (RFC 6749 §2.3, §3.2.1).
 * Steps: read the one method the client used → find the client → check it is registered for that
 * method → compare the secret in constant time.
 */
export async function authenticateClient(
  parameters: OAuthParameters,
  authorizationHeader: string | undefined,
  findClient: (clientId: string) => Promise<RegisteredClient | null>,
): Promise<AuthenticatedClient> {
  const presented = readCredentials(parameters, authorizationHeader);
  const usedAuthorizationHeader = presented.method === 'client_secret_basic';
  const fail = (why: string) => new InvalidClient(why, { challenge: usedAuthorizationHeader });

  // One answer for an unknown client, a method it is not registered for and a wrong secret, and the
  // same hash comparison in each case, so that neither the body nor the timing tells which client ids exist.
  const client = await findClient(presented.clientId);
  const secretMatches =
    presented.method === 'none' || matchesSha256Hash(presented.clientSecret, client?.secretHash ?? UNMATCHABLE_HASH);
  if (!client || client.tokenEndpointAuthMethod !== presented.method || !secretMatches) {
    throw fail('client authentication failed');
  }
  return { client, method: presented.method };
}

function readCredentials(parameters: OAuthParameters, authorizationHeader: string | undefined): PresentedCredentials {
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  if (authorizationHeader !== undefined) {
    const basic = parseBasicAuthorization(authorizationHeader);
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    if (bodySecret !== undefined) throw new InvalidRequest('more than one client authentication method was used');
    if (bodyId !== undefined && bodyId !== basic.clientId) throw new InvalidRequest('client_id does not match the Authorization header');
    return { method: 'client_secret_basic', ...basic };
  }
  if (bodyId === undefined) throw new InvalidClient('client authentication is required', { challenge: false });
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/**
 * HTTP Basic credentials of a client (RFC 6749 §2.3.1, RFC 7617): the client id and secret are each
 * encoded with application/x-www-form-urlencoded before being joined by ":" and base64-encoded.
 */
export function parseBasicAuthorization(header: string): { clientId: string; clientSecret: string } {
  const invalid = () => new InvalidClient('malformed Basic credentials', { challenge: true });
  // RFC 9110 §11.4: credentials = auth-scheme [ 1*SP token68 ].
  const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) throw invalid();
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalid();
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null || clientId === '') throw invalid();
  return { clientId, clientSecret };
}

function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
