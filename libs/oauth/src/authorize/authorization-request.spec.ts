import type { RegisteredClient } from '../clients/registered-client';
import {
  type AuthorizationRequest,
  AuthorizationRequestError,
  type RawParameters,
  resolveResponseTarget,
  UnsafeAuthorizationRequest,
  validateAuthorizationRequest,
} from './authorization-request';
import { codeResponseLocation, errorResponseLocation, implicitResponseLocation } from './authorization-response';
import { consentNeeded, type DecisionInput, decideAuthorizationStep, sessionSatisfies } from './authorization-decision';
import { isAcceptableRedirectUri, matchesRegisteredRedirectUri } from './redirect-uri';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const web: RegisteredClient = {
  clientId: 'web',
  clientName: 'Web',
  secretHash: 'sha256:oB2Hakm55IMeUFLx-aqS5BRPBChVgmVnoscvl6bPXYY',
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: ['profile', 'api:read', 'api:write'],
  defaultScope: ['profile'],
  audience: ['https://api.example.org'],
  redirectUris: ['https://app.example.com/cb', 'https://app.example.com/other?tenant=a', 'http://127.0.0.1:4000/cb'],
};
const spa: RegisteredClient = { ...web, clientId: 'spa', secretHash: undefined, tokenEndpointAuthMethod: 'none', redirectUris: ['https://spa.example.com/'] };
const legacy: RegisteredClient = { ...web, clientId: 'legacy', responseTypes: ['code', 'token'], requirePkce: false, redirectUris: ['https://legacy.example.com/cb'] };
const clients = new Map([web, spa, legacy].map((client) => [client.clientId, client]));
const find = async (id: string) => clients.get(id) ?? null;

const params = (fields: Record<string, string>): RawParameters => Object.entries(fields);
const codeRequest = (extra: Record<string, string> = {}) =>
  params({ response_type: 'code', client_id: 'web', redirect_uri: 'https://app.example.com/cb', scope: 'profile api:read', state: 's1', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra });

async function unsafe(parameters: RawParameters): Promise<string> {
  const error = await resolveResponseTarget(parameters, find).then(() => null, (caught: unknown) => caught);
  if (!(error instanceof UnsafeAuthorizationRequest)) throw new Error(`expected UnsafeAuthorizationRequest, got ${String(error)}`);
  return error.message;
}

async function redirected(parameters: RawParameters): Promise<{ error: string; description: string }> {
  const target = await resolveResponseTarget(parameters, find);
  try {
    validateAuthorizationRequest(parameters, target);
  } catch (error) {
    if (error instanceof AuthorizationRequestError) return { error: error.error, description: error.description };
    throw error;
  }
  throw new Error('expected an AuthorizationRequestError');
}

describe('redirect_uri matching (RFC 9700 §4.1.3, RFC 8252 §7.3)', () => {
  it.each([
    ['https://app.example.com/cb', true],
    ['https://app.example.com/cb/', false],
    ['https://app.example.com/cb/extra', false],
    ['https://app.example.com/cb?x=1', false],
    ['https://app.example.com/cb#frag', false],
    ['https://APP.example.com/cb', false],
    ['https://app.example.com:443/cb', false],
    ['https://app.example.com/CB', false],
    ['https://app.example.com.evil.com/cb', false],
    ['https://evil.com/https://app.example.com/cb', false],
    ['https://app.example.com@evil.com/cb', false],
    ['javascript:alert(1)//https://app.example.com/cb', false],
    ['http://127.0.0.1:4000/cb', true],
    ['http://127.0.0.1:51234/cb', true],
    ['http://127.0.0.1/cb', true],
    ['http://127.0.0.1:65535/cb', true],
    ['http://127.0.0.1:65536/cb', false],
    ['http://127.0.0.1:04000/cb', false],
    ['http://127.0.0.1:0/cb', false],
    ['http://127.0.0.1:4000/cb?', false],
    ['http://127.0.0.1:4000\\@evil.example/cb', false],
    ['http://[::1]:4000/cb', false],
    ['http://127.0.0.1:51234/cb/x', false],
    ['http://127.0.0.1:51234/cb#x', false],
    ['http://127.0.0.1:51234/cb?x', false],
    ['http://localhost:4000/cb', false],
    ['https://127.0.0.1:4000/cb', false],
  ])('%s → %s', (requested, expected) => {
    expect(matchesRegisteredRedirectUri(requested, web.redirectUris)).toBe(expected);
  });

  it.each([
    ['https://app.example.com/cb', true],
    ['http://127.0.0.1:3000/cb', true],
    ['http://app.example.com/cb', false],
    ['https://app.example.com/cb#x', false],
    ['javascript:alert(1)', false],
    ['data:text/html,x', false],
    ['com.example.app:/cb', true],
    ['not a url', false],
  ])('registrable %s → %s', (uri, expected) => {
    expect(isAcceptableRedirectUri(uri)).toBe(expected);
  });
});

describe('resolveResponseTarget: errors that must not be redirected (RFC 6749 §4.1.2.1)', () => {
  it('refuses a missing, unknown or repeated client_id', async () => {
    expect(await unsafe(params({ response_type: 'code' }))).toBe('The request names no client (client_id is missing).');
    expect(await unsafe(params({ client_id: 'nobody' }))).toBe('The application that sent you here is not registered.');
    expect(await unsafe([['client_id', 'web'], ['client_id', 'spa']])).toBe('The request names more than one client.');
  });

  it('refuses an unregistered, repeated or (with several registered) missing redirect_uri', async () => {
    expect(await unsafe(params({ client_id: 'web', redirect_uri: 'https://evil.example/cb' }))).toBe('The redirect URI of the request is not registered for this application.');
    expect(await unsafe(params({ client_id: 'web', redirect_uri: 'javascript:alert(1)' }))).toBe('The redirect URI of the request is not registered for this application.');
    expect(await unsafe([['client_id', 'web'], ['redirect_uri', 'https://app.example.com/cb'], ['redirect_uri', 'https://app.example.com/cb']])).toBe(
      'The request names more than one redirect URI.',
    );
    expect(await unsafe(params({ client_id: 'web' }))).toBe('The request must name one of the registered redirect URIs.');
  });

  it('uses the only registered URI when the request names none, and keeps state and the response mode', async () => {
    expect(await resolveResponseTarget(params({ client_id: 'spa', state: 'x' }), find)).toEqual({
      client: spa,
      redirectUri: 'https://spa.example.com/',
      redirectUriGiven: false,
      responseMode: 'query',
      state: 'x',
    });
    expect(await resolveResponseTarget(params({ client_id: 'legacy', response_type: 'token' }), find)).toEqual({
      client: legacy,
      redirectUri: 'https://legacy.example.com/cb',
      redirectUriGiven: false,
      responseMode: 'fragment',
    });
  });

  it('drops a repeated state (it cannot be echoed)', async () => {
    const target = await resolveResponseTarget([['client_id', 'spa'], ['state', 'a'], ['state', 'b']], find);
    expect(target.state).toBeUndefined();
  });
});

describe('validateAuthorizationRequest (RFC 6749 §4.1.1, RFC 7636 §4.3)', () => {
  it('accepts a code request with S256 PKCE', async () => {
    const parameters = codeRequest({ prompt: 'login consent', max_age: '300' });
    expect(validateAuthorizationRequest(parameters, await resolveResponseTarget(parameters, find))).toStrictEqual({
      responseType: 'code',
      clientId: 'web',
      redirectUri: 'https://app.example.com/cb',
      redirectUriGiven: true,
      scopes: ['profile', 'api:read'],
      requestedScope: 'profile api:read',
      state: 's1',
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      prompt: ['login', 'consent'],
      maxAge: 300,
    });
  });

  it('uses the default scope when none is requested (RFC 6749 §3.3)', async () => {
    const parameters = codeRequest({ scope: '' });
    expect(validateAuthorizationRequest(parameters, await resolveResponseTarget(parameters, find)).scopes).toEqual(['profile']);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['missing response_type', { response_type: '' }, 'invalid_request', "parameter 'response_type' is missing"],
    ['unknown response_type', { response_type: 'id_token' }, 'unsupported_response_type', 'the response_type must be code or token'],
    ['implicit for a code-only client', { response_type: 'token' }, 'unauthorized_client', 'the client is not registered for response_type token'],
    ['unknown scope', { scope: 'admin' }, 'invalid_scope', 'the client may not request: admin'],
    ['malformed scope', { scope: 'profile  api:read' }, 'invalid_scope', 'the scope parameter is malformed'],
    ['scope with a quote', { scope: 'a"b' }, 'invalid_scope', 'the scope parameter is malformed'],
    ['missing PKCE', { code_challenge: '', code_challenge_method: '' }, 'invalid_request', 'code_challenge is required (PKCE, RFC 7636)'],
    ['method without challenge', { code_challenge: '' }, 'invalid_request', 'code_challenge_method without code_challenge'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request', 'code_challenge_method must be S256 (plain is not allowed for this client)'],
    ['implied plain PKCE', { code_challenge_method: '' }, 'invalid_request', 'code_challenge_method must be S256 (plain is not allowed for this client)'],
    ['unknown PKCE method', { code_challenge_method: 'S512' }, 'invalid_request', 'code_challenge_method must be S256'],
    ['short challenge', { code_challenge: 'abc' }, 'invalid_request', 'code_challenge is malformed'],
    ['unknown prompt', { prompt: 'select_account' }, 'invalid_request', 'prompt must be none, login or consent'],
    ['prompt none with login', { prompt: 'none login' }, 'invalid_request', 'prompt=none cannot be combined with other values'],
    ['negative max_age', { max_age: '-1' }, 'invalid_request', 'max_age must be a non-negative integer'],
    ['fractional max_age', { max_age: '1.5' }, 'invalid_request', 'max_age must be a non-negative integer'],
    ['oversized state', { state: 'x'.repeat(2049) }, 'invalid_request', "parameter 'state' is too long"],
  ])('%s → %s', async (_name, extra, error, description) => {
    expect(await redirected(codeRequest(extra))).toEqual({ error, description });
  });

  it('refuses a repeated parameter (RFC 6749 §3.1)', async () => {
    expect(await redirected([...codeRequest(), ['scope', 'profile']])).toEqual({ error: 'invalid_request', description: "parameter 'scope' is included more than once" });
  });

  it('requires PKCE of a public client even if registered otherwise (RFC 9700 §2.1.1)', async () => {
    clients.set('spa2', { ...spa, clientId: 'spa2', requirePkce: false });
    expect(await redirected(params({ response_type: 'code', client_id: 'spa2' }))).toEqual({ error: 'invalid_request', description: 'code_challenge is required (PKCE, RFC 7636)' });
  });

  it('lets a confidential client registered without PKCE go without, and accepts its implicit request', async () => {
    const parameters = params({ response_type: 'token', client_id: 'legacy', scope: 'profile' });
    expect(validateAuthorizationRequest(parameters, await resolveResponseTarget(parameters, find))).toStrictEqual({
      responseType: 'token',
      clientId: 'legacy',
      redirectUri: 'https://legacy.example.com/cb',
      redirectUriGiven: false,
      scopes: ['profile'],
      requestedScope: 'profile',
      prompt: [],
    });
  });

  it('keeps RFC 8707 resource values (repeatable, deduplicated, order kept) within the client audience', async () => {
    const twoAudiences: RegisteredClient = { ...web, clientId: 'web2', audience: ['https://api.example.org', 'https://reports.example.org'] };
    clients.set('web2', twoAudiences);
    const parameters: RawParameters = [
      ...codeRequest({ client_id: 'web2' }),
      ['resource', 'https://reports.example.org'],
      ['resource', 'https://api.example.org'],
      ['resource', 'https://reports.example.org'],
    ];
    expect(validateAuthorizationRequest(parameters, await resolveResponseTarget(parameters, find)).resources).toEqual(['https://reports.example.org', 'https://api.example.org']);
    const none = codeRequest();
    expect(validateAuthorizationRequest(none, await resolveResponseTarget(none, find))).not.toHaveProperty('resources');
  });

  it.each([
    ['https://api.example.org#frag', 'a resource must be an absolute URI without a fragment'],
    ['/relative', 'a resource must be an absolute URI without a fragment'],
    ['https://api.example.org/a b', 'a resource must be an absolute URI without a fragment'],
    ['https://api.example.org/é', 'a resource must be an absolute URI without a fragment'],
    ['https://other.example.org', 'the client may not obtain a token for: https://other.example.org'],
  ])('redirects invalid_target for resource %j (RFC 8707 §2)', async (resource, description) => {
    expect(await redirected([...codeRequest(), ['resource', resource]])).toEqual({ error: 'invalid_target', description });
    expect(await redirected([...params({ response_type: 'token', client_id: 'legacy' }), ['resource', resource]])).toEqual({ error: 'invalid_target', description });
  });

  it('refuses PKCE parameters on an implicit request (RFC 7636 is for the code flow)', async () => {
    expect(await redirected(params({ response_type: 'token', client_id: 'legacy', code_challenge: CHALLENGE, code_challenge_method: 'S256' }))).toEqual({
      error: 'invalid_request',
      description: 'PKCE applies to response_type code only',
    });
  });
});

describe('authorization responses (RFC 6749 §4.1.2, RFC 9207 §2)', () => {
  it('adds code, state and iss to the query, keeping the registered query', () => {
    const request = { redirectUri: 'https://app.example.com/other?tenant=a', state: 'a b&c' } as never;
    expect(codeResponseLocation(request, 'c0de', 'https://issuer.example')).toBe('https://app.example.com/other?tenant=a&code=c0de&state=a+b%26c&iss=https%3A%2F%2Fissuer.example');
  });

  it('puts errors in the query, or the fragment for the implicit flow, with a safe description', () => {
    expect(errorResponseLocation({ redirectUri: 'https://app.example.com/cb', responseMode: 'query', state: 's' }, 'access_denied', 'the user said "no"', 'https://i')).toBe(
      'https://app.example.com/cb?error=access_denied&error_description=the+user+said+%3Fno%3F&state=s&iss=https%3A%2F%2Fi',
    );
    expect(errorResponseLocation({ redirectUri: 'https://legacy.example.com/cb', responseMode: 'fragment' }, 'login_required', 'x', 'https://i')).toBe(
      'https://legacy.example.com/cb#error=login_required&error_description=x&iss=https%3A%2F%2Fi',
    );
  });
});

describe('implicit responses (RFC 6749 §4.2.2, RFC 9207 §2)', () => {
  const implicit: AuthorizationRequest = {
    responseType: 'token',
    clientId: 'legacy',
    redirectUri: 'https://legacy.example.com/cb',
    redirectUriGiven: false,
    scopes: ['profile', 'api:read'],
    requestedScope: 'api:read profile',
    state: 'a b&c',
    prompt: [],
  };
  const issued = { accessToken: 'eyJ.x.y', expiresIn: 600, scope: 'profile api:read' };

  it('puts the token, its type and lifetime, state and iss in the fragment, never a refresh token; no scope when it is the requested one', () => {
    expect(implicitResponseLocation(implicit, issued, 'https://issuer.example')).toBe(
      'https://legacy.example.com/cb#access_token=eyJ.x.y&token_type=Bearer&expires_in=600&state=a+b%26c&iss=https%3A%2F%2Fissuer.example',
    );
  });

  it('names the scope when it differs from the request (the default scope of a request without one)', () => {
    const { requestedScope: _, state: __, ...withoutScope } = implicit;
    expect(implicitResponseLocation(withoutScope, issued, 'https://i')).toBe(
      'https://legacy.example.com/cb#access_token=eyJ.x.y&token_type=Bearer&expires_in=600&scope=profile+api%3Aread&iss=https%3A%2F%2Fi',
    );
  });
});

describe('what comes next (login, consent, issue)', () => {
  const request: AuthorizationRequest = { responseType: 'code', clientId: 'web', redirectUri: 'x', redirectUriGiven: true, scopes: ['profile', 'api:read'], prompt: [] };
  const base: DecisionInput = { request, client: web, session: undefined, freshLogin: false, grantedScopes: [], consentGiven: false, now: 1000 };
  const alice = { subject: 'alice', username: 'alice', authTime: 900 };

  it('asks for a login without a session, or answers login_required with prompt=none', () => {
    expect(decideAuthorizationStep(base)).toEqual({ step: 'login' });
    expect(decideAuthorizationStep({ ...base, request: { ...base.request, prompt: ['none'] } })).toEqual({ step: 'error', error: 'login_required', description: 'the user must log in' });
  });

  it('forces a new login for prompt=login and an old session under max_age, unless the user just logged in', () => {
    expect(sessionSatisfies({ ...base.request, prompt: ['login'] }, alice, false, 1000)).toBe(false);
    expect(sessionSatisfies({ ...base.request, prompt: ['login'] }, alice, true, 1000)).toBe(true);
    expect(sessionSatisfies({ ...base.request, maxAge: 99 }, alice, false, 1000)).toBe(false);
    expect(sessionSatisfies({ ...base.request, maxAge: 100 }, alice, false, 1000)).toBe(true);
    expect(sessionSatisfies({ ...base.request, maxAge: 0 }, alice, true, 1000)).toBe(true);
  });

  it('asks for consent unless every scope was granted before, the client skips consent, or the user just answered', () => {
    expect(decideAuthorizationStep({ ...base, session: alice })).toEqual({ step: 'consent', user: alice });
    expect(decideAuthorizationStep({ ...base, session: alice, grantedScopes: ['api:read', 'profile', 'api:write'] })).toEqual({ step: 'issue', user: alice });
    expect(decideAuthorizationStep({ ...base, session: alice, grantedScopes: ['profile'] })).toEqual({ step: 'consent', user: alice });
    expect(decideAuthorizationStep({ ...base, session: alice, client: { ...web, skipConsent: true } })).toEqual({ step: 'issue', user: alice });
    expect(decideAuthorizationStep({ ...base, session: alice, consentGiven: true })).toEqual({ step: 'issue', user: alice });
    expect(
      consentNeeded({ request: { ...base.request, prompt: ['consent'] }, client: web, grantedScopes: ['profile', 'api:read'], consentGiven: false }),
    ).toBe(true);
    expect(decideAuthorizationStep({ ...base, session: alice, request: { ...base.request, prompt: ['none'] } })).toEqual({
      step: 'error',
      error: 'consent_required',
      description: 'the user must consent',
    });
  });
});
