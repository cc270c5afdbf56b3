import { type CodeChallengeMethod, type RegisteredClient, type ResponseType, requiresPkce, responseTypesOf } from '../clients/registered-client';
import { InvalidScope, InvalidTarget } from '../errors';
import { parseResources, resolveAudience } from '../resource';
import { resolveRequestedScope } from '../scope';
import { matchesRegisteredRedirectUri } from './redirect-uri';

/** `prompt` values understood here (OpenID Connect Core §3.1.2.1, as the issue scopes them). */
export const PROMPT_VALUES = ['none', 'login', 'consent'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** Error codes of the authorization endpoint (RFC 6749 §4.1.2.1, §4.2.2.1; OpenID Connect Core §3.1.2.6 for prompt=none). */
export type AuthorizationErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required';

/** A validated authorization request: what the rest of the flow carries server-side, never re-read from the browser. */
export type AuthorizationRequest = {
  responseType: ResponseType;
  clientId: string;
  /** Where the response goes: the request's redirect_uri, or the only registered one. */
  redirectUri: string;
  /** Whether the request named redirect_uri (RFC 6749 §4.1.3: then the token request must repeat it). */
  redirectUriGiven: boolean;
  scopes: string[];
  /** The scope parameter as the request had it (absent: none): the implicit response names the scope when it differs (RFC 6749 §4.2.2). */
  requestedScope?: string;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: CodeChallengeMethod;
  prompt: Prompt[];
  /** Seconds; a session older than this must log in again. */
  maxAge?: number;
  /**
   * RFC 8707 `resource` values (deduplicated, order kept), each within the client's audience: the
   * code's grant is bound to them (every token of the grant is for some of them). Absent when none.
   */
  resources?: string[];
};

/**
 * An error that must NOT be redirected (RFC 6749 §4.1.2.1): the client is unknown or the redirect URI
 * is missing, unregistered or repeated. Shown to the user on an error page.
 */
export class UnsafeAuthorizationRequest extends Error {
  override readonly name = 'UnsafeAuthorizationRequest';
}

/** An error the client learns about through its redirect URI (RFC 6749 §4.1.2.1), with `state` and `iss` (RFC 9207). */
export class AuthorizationRequestError extends Error {
  override readonly name = 'AuthorizationRequestError';

  constructor(
    readonly error: AuthorizationErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** Where an authorization request's errors may be sent: known once the client and the redirect URI are trusted. */
export type ResponseTarget = {
  client: RegisteredClient;
  redirectUri: string;
  redirectUriGiven: boolean;
  /** `query` for the code flow (RFC 6749 §4.1.2), `fragment` for the implicit flow (§4.2.2). */
  responseMode: 'query' | 'fragment';
  /** The request's state, to echo on every redirect (absent when missing or repeated). */
  state?: string;
};

/** Request parameters as received, in order, repeats kept (a GET query or a POSTed form). */
export type RawParameters = ReadonlyArray<readonly [string, string]>;

/** The longest value of any authorization parameter; longer is invalid_request (the pages carry nothing of it). */
const MAX_PARAMETER_LENGTH = 2048;
/** RFC 7636 §4.1: code_verifier = 43*128unreserved, so a plain challenge has that form; an S256 one is 43 base64url characters. */
const PLAIN_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_AGE = /^(0|[1-9][0-9]{0,9})$/;

/**
 * Step 1 (RFC 6749 §3.1.2.4, §4.1.2.1): find the client and the redirect URI. Until both are trusted,
 * nothing may be redirected: every failure here is UnsafeAuthorizationRequest.
 */
export async function resolveResponseTarget(parameters: RawParameters, findClient: (clientId: string) => Promise<RegisteredClient | null>): Promise<ResponseTarget> {
  const clientIds = valuesOf(parameters, 'client_id');
  if (clientIds.length === 0) throw new UnsafeAuthorizationRequest('The request names no client (client_id is missing).');
  if (clientIds.length > 1) throw new UnsafeAuthorizationRequest('The request names more than one client.');
  const clientId = clientIds[0]!;
  const client = clientId.length <= 255 ? await findClient(clientId) : null;
  if (!client) throw new UnsafeAuthorizationRequest('The application that sent you here is not registered.');

  const redirectUris = valuesOf(parameters, 'redirect_uri');
  if (redirectUris.length > 1) throw new UnsafeAuthorizationRequest('The request names more than one redirect URI.');
  let redirectUri: string;
  const redirectUriGiven = redirectUris.length === 1;
  if (redirectUriGiven) {
    redirectUri = redirectUris[0]!;
    // RFC 9700 §4.1.3: exact string comparison with a registered URI (loopback port aside, RFC 8252 §7.3).
    if (!matchesRegisteredRedirectUri(redirectUri, client.redirectUris)) {
      throw new UnsafeAuthorizationRequest('The redirect URI of the request is not registered for this application.');
    }
  } else {
    // RFC 6749 §3.1.2.3: without a redirect_uri, only a client with exactly one registered URI.
    if (client.redirectUris.length !== 1) {
      throw new UnsafeAuthorizationRequest(
        client.redirectUris.length === 0 ? 'This application has no registered redirect URI.' : 'The request must name one of the registered redirect URIs.',
      );
    }
    redirectUri = client.redirectUris[0]!;
  }
  const states = valuesOf(parameters, 'state');
  const responseTypes = valuesOf(parameters, 'response_type');
  return {
    client,
    redirectUri,
    redirectUriGiven,
    responseMode: responseTypes.length === 1 && responseTypes[0] === 'token' ? 'fragment' : 'query',
    ...(states.length === 1 && states[0]!.length <= MAX_PARAMETER_LENGTH ? { state: states[0] } : {}),
  };
}

/**
 * Step 2: validate the rest of the request for a trusted target. Every failure is an
 * AuthorizationRequestError, redirected to the client with `state` and `iss`.
 */
export function validateAuthorizationRequest(parameters: RawParameters, target: ResponseTarget): AuthorizationRequest {
  const single = singleValues(parameters);
  const { client } = target;

  const responseType = single.get('response_type');
  if (responseType === undefined) throw new AuthorizationRequestError('invalid_request', "parameter 'response_type' is missing");
  if (responseType !== 'code' && responseType !== 'token') {
    throw new AuthorizationRequestError('unsupported_response_type', 'the response_type must be code or token');
  }
  if (!responseTypesOf(client).includes(responseType)) {
    throw new AuthorizationRequestError('unauthorized_client', `the client is not registered for response_type ${responseType}`);
  }

  let scopes: string[];
  try {
    scopes = resolveRequestedScope(single.get('scope'), client.scope, client.defaultScope);
  } catch (error) {
    if (error instanceof InvalidScope) throw new AuthorizationRequestError('invalid_scope', error.description);
    throw error;
  }

  const pkce = responseType === 'code' ? validatePkce(single, client) : {};
  if (responseType === 'token' && (single.has('code_challenge') || single.has('code_challenge_method'))) {
    throw new AuthorizationRequestError('invalid_request', 'PKCE applies to response_type code only');
  }

  const resources = validateResources(valuesOf(parameters, 'resource'), client);

  const prompt = parsePrompt(single.get('prompt'));
  const maxAgeText = single.get('max_age');
  if (maxAgeText !== undefined && !MAX_AGE.test(maxAgeText)) throw new AuthorizationRequestError('invalid_request', 'max_age must be a non-negative integer');

  return {
    responseType,
    clientId: client.clientId,
    redirectUri: target.redirectUri,
    redirectUriGiven: target.redirectUriGiven,
    scopes,
    ...(single.has('scope') ? { requestedScope: single.get('scope') } : {}),
    ...(single.has('state') ? { state: single.get('state') } : {}),
    ...pkce,
    prompt,
    ...(maxAgeText !== undefined ? { maxAge: Number(maxAgeText) } : {}),
    ...(resources.length > 0 ? { resources } : {}),
  };
}

/**
 * RFC 8707 §2: `resource` may be repeated; each an absolute URI without a fragment, and one the client
 * may obtain a token for (its registered audience). Otherwise `invalid_target` to the client (§2).
 */
function validateResources(values: readonly string[], client: RegisteredClient): string[] {
  try {
    const resources = parseResources(values);
    if (resources.length > 0) resolveAudience(resources, client.audience);
    return resources;
  } catch (error) {
    if (error instanceof InvalidTarget) throw new AuthorizationRequestError('invalid_target', error.description);
    throw error;
  }
}

/** RFC 7636 §4.3, §4.4.1; RFC 9700 §2.1.1: S256 required where PKCE is required, `plain` only for a client registered for it. */
function validatePkce(single: ReadonlyMap<string, string>, client: RegisteredClient): Pick<AuthorizationRequest, 'codeChallenge' | 'codeChallengeMethod'> {
  const challenge = single.get('code_challenge');
  const methodText = single.get('code_challenge_method');
  if (challenge === undefined) {
    if (methodText !== undefined) throw new AuthorizationRequestError('invalid_request', 'code_challenge_method without code_challenge');
    if (requiresPkce(client)) throw new AuthorizationRequestError('invalid_request', 'code_challenge is required (PKCE, RFC 7636)');
    return {};
  }
  // RFC 7636 §4.3: "Defaults to plain if not present in the request."
  const method = methodText ?? 'plain';
  if (method !== 'S256' && method !== 'plain') throw new AuthorizationRequestError('invalid_request', 'code_challenge_method must be S256');
  if (method === 'plain' && client.allowPlainPkce !== true) {
    throw new AuthorizationRequestError('invalid_request', 'code_challenge_method must be S256 (plain is not allowed for this client)');
  }
  if (!(method === 'S256' ? S256_CHALLENGE : PLAIN_CHALLENGE).test(challenge)) {
    throw new AuthorizationRequestError('invalid_request', 'code_challenge is malformed');
  }
  return { codeChallenge: challenge, codeChallengeMethod: method };
}

function parsePrompt(text: string | undefined): Prompt[] {
  if (text === undefined) return [];
  const values = text.split(' ');
  if (values.some((value) => !(PROMPT_VALUES as readonly string[]).includes(value))) {
    throw new AuthorizationRequestError('invalid_request', 'prompt must be none, login or consent');
  }
  const unique = [...new Set(values)] as Prompt[];
  // OpenID Connect Core §3.1.2.1: "none" with any other value is an error.
  if (unique.includes('none') && unique.length > 1) throw new AuthorizationRequestError('invalid_request', 'prompt=none cannot be combined with other values');
  return unique;
}

function valuesOf(parameters: RawParameters, name: string): string[] {
  // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted."
  return parameters.filter(([key, value]) => key === name && value !== '').map(([, value]) => value);
}

/** RFC 6749 §3.1: no parameter more than once; values bounded in length and free of control characters. */
function singleValues(parameters: RawParameters): ReadonlyMap<string, string> {
  const values = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of parameters) {
    // RFC 8707 §2: `resource` is the one parameter that may be repeated (read by validateResources).
    if (seen.has(name) && name !== 'resource') throw new AuthorizationRequestError('invalid_request', `parameter '${name}' is included more than once`);
    seen.add(name);
    if (value.length > MAX_PARAMETER_LENGTH) throw new AuthorizationRequestError('invalid_request', `parameter '${name}' is too long`);
    if (value !== '') values.set(name, value);
  }
  return values;
}
