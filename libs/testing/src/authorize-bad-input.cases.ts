/**
 * Hostile requests to the authorization endpoint and its pages, as one table, run against the
 * all-in-one app (apps/suite/src/authorize-bad-input.spec.ts) and the distributed authorize service
 * (libs/testing/src/e2e/authorization-code-flow.int-spec.ts). Each answer must be the RFC behaviour:
 * an error page (never a redirect) while the client or redirect URI is not trusted (RFC 6749 §4.1.2.1),
 * an error redirect with state and iss (RFC 9207) otherwise; never a 5xx; never a redirect anywhere
 * but the registered URI.
 */
import { hiddenFields, type HttpResponse, PageBrowser, type Transport } from './page-browser';

export const BAD_INPUT_CLIENT = 'demo-web';
export const BAD_INPUT_CALLBACK = 'http://127.0.0.1:8091/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

type Expected =
  /** An HTML error page, no Location, with this text. */
  | { page: number; text: string }
  /** A redirect to the registered callback with exactly these parameters (iss added by the runner), in the query or the fragment. */
  | { redirect: Record<string, string>; mode?: 'query' | 'fragment' }
  /** Just a status, no Location (framework refusals such as 413). */
  | { status: number };

export type BadInputCase = { name: string; send: (browser: PageBrowser) => Promise<HttpResponse>; expected: Expected };

const base = { response_type: 'code', client_id: BAD_INPUT_CLIENT, redirect_uri: BAD_INPUT_CALLBACK, scope: 'profile', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' };
const query = (pairs: Array<[string, string]>) => `/authorize?${new URLSearchParams(pairs).toString()}`;
const withParams = (changes: Record<string, string | null>): Array<[string, string]> => {
  const fields: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete fields[name];
    else fields[name] = value;
  }
  return Object.entries(fields);
};
const get = (pairs: Array<[string, string]>) => (browser: PageBrowser) => browser.get(query(pairs));

const UNREGISTERED = { page: 400, text: 'The redirect URI of the request is not registered for this application.' };
const error = (code: string, description: string, state: string | null = 's') => ({
  redirect: { error: code, error_description: description, ...(state === null ? {} : { state }) },
});
const invalidScope = error('invalid_scope', 'the scope parameter is malformed');
const EXPIRED = { page: 400, text: 'This sign-in request has expired or was already used.' };
const FORM_USED = { page: 400, text: 'This form was already sent or has expired.' };
const UNREADABLE = { page: 400, text: 'The form could not be read.' };

async function loginForm(browser: PageBrowser): Promise<Record<string, string>> {
  const start = await browser.get(query(Object.entries(base)));
  const page = await browser.get(start.headers.location!);
  return hiddenFields(page.body);
}

export const AUTHORIZE_BAD_INPUT_CASES: BadInputCase[] = [
  { name: 'client_id missing', send: get(withParams({ client_id: null })), expected: { page: 400, text: 'The request names no client (client_id is missing).' } },
  { name: 'client_id unknown', send: get(withParams({ client_id: 'nobody' })), expected: { page: 400, text: 'The application that sent you here is not registered.' } },
  { name: 'client_id repeated', send: get([...withParams({}), ['client_id', 'demo-spa']]), expected: { page: 400, text: 'The request names more than one client.' } },
  { name: 'redirect_uri repeated', send: get([...withParams({}), ['redirect_uri', BAD_INPUT_CALLBACK]]), expected: { page: 400, text: 'The request names more than one redirect URI.' } },
  { name: 'redirect_uri with extra path', send: get(withParams({ redirect_uri: `${BAD_INPUT_CALLBACK}/extra` })), expected: UNREGISTERED },
  { name: 'redirect_uri with a trailing slash', send: get(withParams({ redirect_uri: `${BAD_INPUT_CALLBACK}/` })), expected: UNREGISTERED },
  { name: 'redirect_uri with extra query', send: get(withParams({ redirect_uri: `${BAD_INPUT_CALLBACK}?next=https://evil.example` })), expected: UNREGISTERED },
  { name: 'redirect_uri with a fragment', send: get(withParams({ redirect_uri: `${BAD_INPUT_CALLBACK}#x` })), expected: UNREGISTERED },
  { name: 'redirect_uri javascript:', send: get(withParams({ redirect_uri: 'javascript:alert(document.domain)//http://127.0.0.1:8091/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri data:', send: get(withParams({ redirect_uri: 'data:text/html,<script>alert(1)</script>' })), expected: UNREGISTERED },
  { name: 'redirect_uri userinfo trick', send: get(withParams({ redirect_uri: 'http://127.0.0.1:8091@evil.example/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri dot segments', send: get(withParams({ redirect_uri: 'http://127.0.0.1:8091/callback/../../evil' })), expected: UNREGISTERED },
  { name: 'redirect_uri encoded slash', send: get(withParams({ redirect_uri: 'http://127.0.0.1:8091/callback%2F..%2Fevil' })), expected: UNREGISTERED },
  { name: 'redirect_uri host suffix', send: get(withParams({ redirect_uri: 'http://127.0.0.1.evil.example:8091/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri scheme-relative', send: get(withParams({ redirect_uri: '//evil.example/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri another loopback host', send: get(withParams({ redirect_uri: 'http://localhost:8091/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri https instead of http', send: get(withParams({ redirect_uri: 'https://127.0.0.1:8091/callback' })), expected: UNREGISTERED },
  { name: 'redirect_uri in another case', send: get(withParams({ redirect_uri: 'http://127.0.0.1:8091/Callback' })), expected: UNREGISTERED },
  { name: 'response_type missing', send: get(withParams({ response_type: null })), expected: error('invalid_request', "parameter 'response_type' is missing") },
  { name: 'response_type unknown', send: get(withParams({ response_type: 'code id_token' })), expected: error('unsupported_response_type', 'the response_type must be code or token') },
  { name: 'response_type token for a code client', send: get(withParams({ response_type: 'token', code_challenge: null, code_challenge_method: null })), expected: { ...error('unauthorized_client', 'the client is not registered for response_type token'), mode: 'fragment' } },
  { name: 'scope repeated', send: get([...withParams({}), ['scope', 'api:read']]), expected: error('invalid_request', "parameter 'scope' is included more than once") },
  { name: 'state repeated (not echoed)', send: get([...withParams({}), ['state', 't']]), expected: error('invalid_request', "parameter 'state' is included more than once", null) },
  { name: 'scope unknown', send: get(withParams({ scope: 'profile admin' })), expected: error('invalid_scope', 'the client may not request: admin') },
  { name: 'scope with a NUL', send: get(withParams({ scope: 'profile\u0000' })), expected: invalidScope },
  { name: 'scope with a double quote', send: get(withParams({ scope: 'pro"file' })), expected: invalidScope },
  { name: 'scope with a backslash', send: get(withParams({ scope: 'pro\\file' })), expected: invalidScope },
  { name: 'scope with a non-ASCII letter', send: get(withParams({ scope: 'profilé' })), expected: invalidScope },
  { name: 'scope with two spaces', send: get(withParams({ scope: 'profile  api:read' })), expected: invalidScope },
  { name: 'scope with a tab', send: get(withParams({ scope: 'profile\tapi:read' })), expected: invalidScope },
  { name: 'scope with a newline', send: get(withParams({ scope: 'profile\r\nLocation: https://evil.example' })), expected: invalidScope },
  { name: 'PKCE missing', send: get(withParams({ code_challenge: null, code_challenge_method: null })), expected: error('invalid_request', 'code_challenge is required (PKCE, RFC 7636)') },
  { name: 'PKCE plain', send: get(withParams({ code_challenge_method: 'plain' })), expected: error('invalid_request', 'code_challenge_method must be S256 (plain is not allowed for this client)') },
  { name: 'PKCE challenge malformed', send: get(withParams({ code_challenge: 'short' })), expected: error('invalid_request', 'code_challenge is malformed') },
  { name: 'prompt unknown', send: get(withParams({ prompt: 'select_account' })), expected: error('invalid_request', 'prompt must be none, login or consent') },
  { name: 'prompt none without a session', send: get(withParams({ prompt: 'none' })), expected: error('login_required', 'the user must log in') },
  { name: 'max_age not a number', send: get(withParams({ max_age: '1e3' })), expected: error('invalid_request', 'max_age must be a non-negative integer') },
  { name: 'state oversized', send: get(withParams({ state: 'x'.repeat(3000) })), expected: error('invalid_request', "parameter 'state' is too long", null) },
  {
    name: 'POST /authorize not form-encoded',
    send: (browser) => browser.send({ method: 'POST', path: '/authorize', headers: { 'content-type': 'application/json' }, body: JSON.stringify(base) }),
    expected: { page: 400, text: 'The request body must be application/x-www-form-urlencoded.' },
  },
  { name: 'POST /authorize oversized', send: (browser) => browser.post('/authorize', { ...base, pad: 'x'.repeat(70_000) }), expected: { status: 413 } },
  { name: 'POST /authorize repeated redirect_uri', send: (browser) => browser.post('/authorize', [...withParams({}), ['redirect_uri', 'https://evil.example/']]), expected: { page: 400, text: 'The request names more than one redirect URI.' } },
  { name: 'login page without an interaction', send: (browser) => browser.get('/authorize/login'), expected: EXPIRED },
  { name: 'login page with a made-up interaction', send: (browser) => browser.get('/authorize/login?interaction=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), expected: EXPIRED },
  { name: 'login page with an injected interaction', send: (browser) => browser.get('/authorize/login?interaction=%22%3E%3Cscript%3Ealert(1)%3C/script%3E'), expected: EXPIRED },
  {
    name: 'login with an LDAP filter as username',
    send: async (browser) => browser.post('/authorize/login', { ...(await loginForm(browser)), username: '*)(uid=*', password: 'alice-password' }),
    expected: { page: 401, text: 'The username or password is incorrect.' },
  },
  {
    name: 'login with a NUL in the username',
    send: async (browser) => browser.post('/authorize/login', { ...(await loginForm(browser)), username: 'alice\u0000', password: 'alice-password' }),
    expected: { page: 400, text: 'Enter your username and password.' },
  },
  {
    name: 'login without a CSRF token',
    send: async (browser) => browser.post('/authorize/login', { interaction: (await loginForm(browser)).interaction!, username: 'alice', password: 'alice-password' }),
    expected: FORM_USED,
  },
  {
    name: 'login with a forged CSRF token',
    send: async (browser) => browser.post('/authorize/login', { ...(await loginForm(browser)), form_token: 'A'.repeat(43), username: 'alice', password: 'alice-password' }),
    expected: FORM_USED,
  },
  {
    name: 'login form replayed',
    send: async (browser) => {
      const form = { ...(await loginForm(browser)), username: 'carol', password: 'wrong' };
      await browser.post('/authorize/login', form);
      return browser.post('/authorize/login', form);
    },
    expected: FORM_USED,
  },
  {
    name: 'login form from another browser',
    send: async (browser) => {
      const form = await loginForm(browser);
      browser.cookies.clear();
      return browser.post('/authorize/login', { ...form, username: 'alice', password: 'alice-password' });
    },
    expected: EXPIRED,
  },
  {
    name: 'login form with a repeated field',
    send: async (browser) => browser.post('/authorize/login', [...Object.entries(await loginForm(browser)), ['username', 'alice'], ['username', 'bob'], ['password', 'x']]),
    expected: UNREADABLE,
  },
  {
    name: 'login form oversized username',
    send: async (browser) => browser.post('/authorize/login', { ...(await loginForm(browser)), username: 'a'.repeat(5000), password: 'x' }),
    expected: { page: 400, text: 'Enter your username and password.' },
  },
  {
    name: 'login form oversized body',
    send: async (browser) => browser.post('/authorize/login', { ...(await loginForm(browser)), username: 'alice', password: 'x'.repeat(70_000) }),
    expected: { status: 413 },
  },
  {
    name: 'consent without a login',
    send: async (browser) => browser.post('/authorize/consent', { ...(await loginForm(browser)), decision: 'allow' }),
    expected: EXPIRED,
  },
];

/** Runs one case and returns what to compare with its expectation (and the invariants every case must hold). */
export async function runBadInputCase(testCase: BadInputCase, transport: Transport, issuer: string): Promise<{ actual: unknown; expected: unknown }> {
  const response = await testCase.send(new PageBrowser(transport));
  const location = response.headers.location;
  const { expected } = testCase;
  if ('redirect' in expected) {
    const url = location ? new URL(location) : undefined;
    return {
      actual: {
        status: response.status,
        target: url ? `${url.origin}${url.pathname}` : location,
        // RFC 6749 §4.2.2.1: the implicit flow's errors go in the fragment.
        mode: url?.hash ? 'fragment' : 'query',
        parameters: url ? Object.fromEntries(url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams) : undefined,
      },
      expected: { status: 302, target: BAD_INPUT_CALLBACK, mode: expected.mode ?? 'query', parameters: { ...expected.redirect, iss: issuer } },
    };
  }
  if ('page' in expected) {
    return {
      actual: { status: response.status, location, contentType: response.headers['content-type'], frameAncestors: response.headers['content-security-policy']?.includes("frame-ancestors 'none'"), hasText: response.body.includes(expected.text) },
      expected: { status: expected.page, location: undefined, contentType: 'text/html; charset=utf-8', frameAncestors: true, hasText: true },
    };
  }
  return { actual: { status: response.status, location }, expected: { status: expected.status, location: undefined } };
}
