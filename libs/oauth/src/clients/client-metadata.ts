import { createPublicKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { clientPublicJwk, grantType, type GrantType } from '@authz/contracts';
import { MAX_ACCESS_TOKEN_TTL } from '../access-token';
import { isAcceptableRedirectUri } from '../authorize/redirect-uri';
import { InvalidClientMetadata, InvalidRedirectUri } from '../errors';
import { CLIENT_AUTH_METHODS, RESPONSE_TYPES, type RegisteredClient } from './registered-client';

/**
 * What else a client may have beyond RFC 7591 registration: only the operator's seed file (CLIENTS_FILE)
 * asks for these. Registration (POST /register, the admin CLI) uses none.
 */
export type ClientMetadataPolicy = {
  /** Grant type `implicit` with response type `token` (RFC 6749 §4.2: legacy, RFC 9700 §2.1.2 advises against it). */
  allowImplicit?: boolean;
  /** Redirect URIs with a private-use scheme of a native app (RFC 8252 §7.1), e.g. `com.example.app:/cb`. */
  allowPrivateUseSchemes?: boolean;
};

/** The seed file's policy: implicit and private-use schemes allowed. */
export const SEED_CLIENT_POLICY: ClientMetadataPolicy = { allowImplicit: true, allowPrivateUseSchemes: true };

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); a scope value is tokens joined by one space. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
const MAX_URI = 2000;
const MAX_TEXT = 200;

/** RFC 3986 §2: unreserved, reserved and "%" (percent-encoding). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/** Marks an issue as being about a redirect URI: answered invalid_redirect_uri instead of invalid_client_metadata. */
const REDIRECT_ISSUE = 'redirect_uri';

/**
 * A URL a browser is sent to or shown: absolute, https, or http on a loopback host only (RFC 8252
 * §7.3, RFC 9700 §2.1), without a fragment (RFC 6749 §3.1.2) or user information.
 */
export function isAcceptableClientUrl(value: string): boolean {
  // RFC 3986 §2, §3: ASCII URI characters only (no space, backslash or non-ASCII, which the WHATWG
  // parser would silently encode or repair) and "//" + a non-empty authority ("https:///cb" is no URI).
  if (!URI_CHARACTERS.test(value) || !/^https?:\/\/[^/?#]/i.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (value.includes('#') || url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return url.hostname !== '';
  return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
}

const uri = (what: string) =>
  z
    .string()
    .max(MAX_URI)
    .refine(isAcceptableClientUrl, `${what} must be an absolute https URL (http only on a loopback host) without a fragment`);

/** A private-use scheme redirect URI (RFC 8252 §7.1): not http(s), otherwise acceptable (never javascript:, data:…). */
function isPrivateUseRedirectUri(value: string): boolean {
  return !/^https?:/i.test(value) && isAcceptableRedirectUri(value);
}

const redirectUri = (policy: ClientMetadataPolicy) =>
  z.string({ invalid_type_error: 'each redirect URI must be a string' }).superRefine((value, ctx) => {
    if (value.length > MAX_URI) {
      ctx.addIssue({ code: 'custom', message: 'a redirect URI is too long', params: { kind: REDIRECT_ISSUE } });
    } else if (!isAcceptableClientUrl(value) && !(policy.allowPrivateUseSchemes === true && isPrivateUseRedirectUri(value))) {
      ctx.addIssue({
        code: 'custom',
        message: `a redirect URI must be an absolute https URL (http only on a loopback host${policy.allowPrivateUseSchemes ? ', or a private-use scheme' : ''}) without a fragment`,
        params: { kind: REDIRECT_ISSUE },
      });
    }
  });

const scopeValue = z.string().max(4000).regex(SCOPE, 'must be scope tokens separated by single spaces (RFC 6749 section 3.3)');
const ttl = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * RFC 7591 §2 client metadata, and this server's extensions (`default_scope`, `audience`, lifetimes,
 * PKCE and consent flags). Unknown members are ignored (RFC 7591 §2: the server "MUST ignore any client
 * metadata sent by the client that it does not understand"); known ones are validated strictly.
 */
const clientMetadataSchema = (policy: ClientMetadataPolicy) =>
  z
    .object({
      redirect_uris: z.array(redirectUri(policy), { invalid_type_error: 'redirect_uris must be an array of URIs' }).max(20).default([]),
      // RFC 7591 §2: the default is client_secret_basic.
      token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
      // RFC 7591 §2: the default grant type is authorization_code, the default response type code.
      grant_types: z
        .array(policy.allowImplicit ? z.union([grantType, z.literal('implicit')]) : grantType)
        .min(1)
        .max(10)
        .default(['authorization_code']),
      response_types: z.array(z.enum(RESPONSE_TYPES)).max(5).optional(),
      client_name: z.string().min(1).max(MAX_TEXT).optional(),
      client_uri: uri('client_uri').optional(),
      logo_uri: uri('logo_uri').optional(),
      scope: scopeValue.optional(),
      jwks: z.object({ keys: z.array(clientPublicJwk.refine(isUsablePublicKey, 'not a usable public key')).min(1).max(10) }).strict().optional(),
      jwks_uri: uri('jwks_uri').optional(),
      // Extensions of this server (the seed file's names).
      default_scope: scopeValue.optional(),
      audience: z.array(z.string().min(1).max(MAX_URI)).max(10).default([]),
      access_token_ttl: ttl(30, MAX_ACCESS_TOKEN_TTL).optional(),
      refresh_token_ttl: ttl(60, 31_536_000).optional(),
      refresh_token_idle_ttl: ttl(60, 31_536_000).optional(),
      require_pkce: z.boolean().optional(),
      allow_plain_pkce: z.boolean().optional(),
      skip_consent: z.boolean().optional(),
    })
    .strip();

const REGISTRATION_SCHEMA = clientMetadataSchema({});
const SEED_SCHEMA = clientMetadataSchema(SEED_CLIENT_POLICY);
const schemaFor = (policy: ClientMetadataPolicy) =>
  policy.allowImplicit === true && policy.allowPrivateUseSchemes === true ? SEED_SCHEMA : policy.allowImplicit || policy.allowPrivateUseSchemes ? clientMetadataSchema(policy) : REGISTRATION_SCHEMA;

/**
 * A key that the assertion check can import (RFC 7517 §4, RFC 7518 §6): its members make an EC point
 * on a named curve, an RSA modulus (2048 bits at least) and exponent, or an OKP key. A key that cannot
 * be imported, or that the assertion check refuses, would register a client that can never authenticate.
 */
function isUsablePublicKey(jwk: z.output<typeof clientPublicJwk>): boolean {
  try {
    const key = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' });
    // RS256 and PS256 verification (jose) refuses RSA keys under 2048 bits (RFC 7518 §3.3, §3.5).
    return key.type === 'public' && (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
  } catch {
    return false;
  }
}

/** The metadata members this server understands (the seed file refuses any other, to catch typos). */
export const CLIENT_METADATA_FIELDS: readonly string[] = Object.keys(REGISTRATION_SCHEMA.shape);

export type ClientMetadataInput = z.input<typeof REGISTRATION_SCHEMA>;

/** What a registration or an update sets: a RegisteredClient without its identity and credentials. */
export type ClientMetadata = Omit<RegisteredClient, 'clientId' | 'secretHash' | 'clientIdIssuedAt'>;

/**
 * Validates a registration (RFC 7591 §2, §3.1) or an update request (RFC 7592 §2.2), or with
 * SEED_CLIENT_POLICY a client of the seed file, and maps it onto the client model. A bad redirect URI is invalid_redirect_uri; any other bad or inconsistent value
 * is invalid_client_metadata (RFC 7591 §3.2.2), with the first problem as the description.
 */
export function validateClientMetadata(body: unknown, policy: ClientMetadataPolicy = {}): ClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidClientMetadata('the request body must be a JSON object');
  const parsed = schemaFor(policy).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    if ((issue as { params?: { kind?: string } }).params?.kind === REDIRECT_ISSUE) throw new InvalidRedirectUri(issue.message);
    throw new InvalidClientMetadata(`${where}${issue.message}`);
  }
  const metadata = parsed.data;
  const requestedGrantTypes = [...new Set(metadata.grant_types)];
  // `implicit` is a grant type of RFC 7591 §2.1 (with response type token), not one of the token endpoint.
  const grantTypes = requestedGrantTypes.filter((type): type is GrantType => type !== 'implicit');
  const implicit = requestedGrantTypes.length !== grantTypes.length;
  const responseTypes = [...new Set(metadata.response_types ?? (grantTypes.includes('authorization_code') ? ['code' as const] : implicit ? ['token' as const] : []))];
  checkConsistency(metadata, grantTypes, responseTypes, { implicit, allowImplicit: policy.allowImplicit === true });

  const scope = metadata.scope ? [...new Set(metadata.scope.split(' '))] : [];
  const defaultScope = metadata.default_scope ? [...new Set(metadata.default_scope.split(' '))] : [];
  const clientName = metadata.client_name ?? 'unnamed client';
  return {
    clientName,
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
    grantTypes,
    responseTypes,
    scope,
    defaultScope,
    audience: metadata.audience,
    redirectUris: metadata.redirect_uris,
    ...(metadata.access_token_ttl !== undefined ? { accessTokenTtl: metadata.access_token_ttl } : {}),
    ...(metadata.refresh_token_ttl !== undefined ? { refreshTokenTtl: metadata.refresh_token_ttl } : {}),
    ...(metadata.refresh_token_idle_ttl !== undefined ? { refreshTokenIdleTtl: metadata.refresh_token_idle_ttl } : {}),
    ...(metadata.require_pkce !== undefined ? { requirePkce: metadata.require_pkce } : {}),
    ...(metadata.allow_plain_pkce !== undefined ? { allowPlainPkce: metadata.allow_plain_pkce } : {}),
    ...(metadata.skip_consent !== undefined ? { skipConsent: metadata.skip_consent } : {}),
    ...(metadata.jwks ? { jwks: metadata.jwks } : {}),
    ...(metadata.jwks_uri ? { jwksUri: metadata.jwks_uri } : {}),
    ...(metadata.client_uri ? { clientUri: metadata.client_uri } : {}),
    ...(metadata.logo_uri ? { logoUri: metadata.logo_uri } : {}),
  };
}

type ParsedMetadata = Omit<z.output<typeof REGISTRATION_SCHEMA>, 'grant_types'>;

/** RFC 7591 §2 and §2.1: values that are valid alone but not together. */
function checkConsistency(metadata: ParsedMetadata, grantTypes: GrantType[], responseTypes: string[], implicitFlow: { implicit: boolean; allowImplicit: boolean }): void {
  const refuse = (why: string) => new InvalidClientMetadata(why);
  // RFC 7591 §2.1: grant_types authorization_code ⇔ response_types code, implicit ⇔ token. Registration
  // never offers the implicit grant (RFC 9700 §2.1.2); only a seed client may have it (legacy).
  if (responseTypes.includes('token') && !implicitFlow.allowImplicit) throw refuse('response type token (the implicit grant) is not supported');
  if (implicitFlow.implicit !== responseTypes.includes('token')) {
    throw refuse('grant_types and response_types are inconsistent: implicit goes with the response type token (RFC 7591 section 2.1)');
  }
  if (implicitFlow.implicit && metadata.redirect_uris.length === 0) throw new InvalidRedirectUri('the implicit grant requires at least one redirect URI');
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw refuse('grant_types and response_types are inconsistent: authorization_code goes with the response type code (RFC 7591 section 2.1)');
  }
  // RFC 7591 §2: flows with redirection MUST register their redirection URIs.
  if (grantTypes.includes('authorization_code') && metadata.redirect_uris.length === 0) {
    throw new InvalidRedirectUri('the authorization_code grant requires at least one redirect URI');
  }
  if (metadata.token_endpoint_auth_method === 'none' && grantTypes.includes('client_credentials')) {
    throw refuse('a public client (token_endpoint_auth_method none) cannot use the client_credentials grant (RFC 6749 section 4.4)');
  }
  // The token endpoint serves the password grant to confidential clients only (RFC 9700 §2.4: a
  // public client would be an anonymous password oracle): such a registration could never use it.
  if (metadata.token_endpoint_auth_method === 'none' && grantTypes.includes('password')) {
    throw refuse('a public client (token_endpoint_auth_method none) cannot use the password grant');
  }
  // Refresh tokens come from the code and password grants only (RFC 6749 §4.4.3: not client_credentials).
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code') && !grantTypes.includes('password')) {
    throw refuse('the refresh_token grant needs a grant that issues refresh tokens: authorization_code or password');
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (metadata.jwks && metadata.jwks_uri !== undefined) throw refuse('jwks and jwks_uri must not both be present');
  if (metadata.token_endpoint_auth_method === 'private_key_jwt' && !metadata.jwks && metadata.jwks_uri === undefined) throw refuse('private_key_jwt requires jwks or jwks_uri');
  const scope = metadata.scope ? metadata.scope.split(' ') : [];
  if (metadata.default_scope && metadata.default_scope.split(' ').some((token) => !scope.includes(token))) {
    throw refuse('default_scope must be a subset of scope');
  }
  if (metadata.allow_plain_pkce && metadata.token_endpoint_auth_method === 'none') throw refuse('a public client cannot use plain PKCE');
}

/** The registration data a response adds to the metadata (RFC 7591 §3.2.1, RFC 7592 §3). */
export type ClientInformationExtras = {
  /** Only in the response that creates it (registration, or a rotation): shown once. */
  clientSecret?: string;
  /** Only in the registration response (RFC 7592 §3). */
  registrationAccessToken?: string;
  registrationClientUri?: string;
};

/**
 * The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the client id, the credentials
 * issued now, and every registered metadata value, with the names of RFC 7591.
 */
export function clientInformationResponse(client: RegisteredClient, extras: ClientInformationExtras = {}): Record<string, unknown> {
  const hasSecret = client.secretHash !== undefined;
  return {
    client_id: client.clientId,
    ...(extras.clientSecret !== undefined ? { client_secret: extras.clientSecret } : {}),
    ...(client.clientIdIssuedAt !== undefined ? { client_id_issued_at: client.clientIdIssuedAt } : {}),
    // REQUIRED when a client_secret is issued; 0: it does not expire.
    ...(hasSecret ? { client_secret_expires_at: 0 } : {}),
    ...(extras.registrationAccessToken !== undefined ? { registration_access_token: extras.registrationAccessToken } : {}),
    ...(extras.registrationClientUri !== undefined ? { registration_client_uri: extras.registrationClientUri } : {}),
    client_name: client.clientName,
    redirect_uris: [...client.redirectUris],
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: [...client.grantTypes],
    response_types: [...(client.responseTypes ?? (client.grantTypes.includes('authorization_code') ? ['code'] : []))],
    ...(client.scope.length > 0 ? { scope: client.scope.join(' ') } : {}),
    ...(client.defaultScope.length > 0 ? { default_scope: client.defaultScope.join(' ') } : {}),
    audience: [...client.audience],
    ...(client.jwks ? { jwks: client.jwks } : {}),
    ...(client.jwksUri ? { jwks_uri: client.jwksUri } : {}),
    ...(client.clientUri ? { client_uri: client.clientUri } : {}),
    ...(client.logoUri ? { logo_uri: client.logoUri } : {}),
    ...(client.accessTokenTtl !== undefined ? { access_token_ttl: client.accessTokenTtl } : {}),
    ...(client.refreshTokenTtl !== undefined ? { refresh_token_ttl: client.refreshTokenTtl } : {}),
    ...(client.refreshTokenIdleTtl !== undefined ? { refresh_token_idle_ttl: client.refreshTokenIdleTtl } : {}),
    ...(client.requirePkce !== undefined ? { require_pkce: client.requirePkce } : {}),
    ...(client.allowPlainPkce !== undefined ? { allow_plain_pkce: client.allowPlainPkce } : {}),
    ...(client.skipConsent !== undefined ? { skip_consent: client.skipConsent } : {}),
  };
}

/**
 * What a client may change about itself with its registration access token (RFC 7592 §2.2). The
 * server may refuse values (RFC 7591 §5, RFC 7592 §2.2): a client can narrow what it was given, never
 * widen it. Widening grant types, scopes or audiences, other token lifetimes, skipping consent,
 * weaker PKCE, or a new jwks_uri (an address the token service would fetch) is an administrator's
 * change: the admin CLI, or a registration with the initial access token.
 */
export function checkSelfServiceUpdate(current: RegisteredClient, next: ClientMetadata): void {
  const refuse = (what: string) => {
    throw new InvalidClientMetadata(`${what} can only be changed by an administrator`);
  };
  const within = (values: readonly string[], allowed: readonly string[]) => values.every((value) => allowed.includes(value));
  if (!within(next.grantTypes, current.grantTypes)) refuse('grant_types beyond the registered ones');
  if (!within(next.responseTypes ?? [], current.responseTypes ?? [])) refuse('response_types beyond the registered ones');
  if (!within(next.scope, current.scope)) refuse('scope beyond the registered one');
  if (!within(next.audience, current.audience)) refuse('audience beyond the registered one');
  // Lifetimes are the operator's policy (an unset one means the server's default): left as they are.
  if (next.accessTokenTtl !== current.accessTokenTtl) refuse('access_token_ttl');
  if (next.refreshTokenTtl !== current.refreshTokenTtl) refuse('refresh_token_ttl');
  if (next.refreshTokenIdleTtl !== current.refreshTokenIdleTtl) refuse('refresh_token_idle_ttl');
  if (next.skipConsent === true && current.skipConsent !== true) refuse('skip_consent');
  if (next.requirePkce === false && current.requirePkce !== false) refuse('require_pkce: false');
  if (next.allowPlainPkce === true && current.allowPlainPkce !== true) refuse('allow_plain_pkce');
  if (next.jwksUri !== undefined && next.jwksUri !== current.jwksUri) refuse('jwks_uri');
}
