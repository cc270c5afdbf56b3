import { randomBytes } from 'node:crypto';
import {
  type AuthenticatedUser,
  type AuthorizationCodeGrant,
  type AuthorizationErrorCode,
  type AuthorizationRequest,
  AuthorizationRequestError,
  codeResponseLocation,
  decideAuthorizationStep,
  errorResponseLocation,
  formatScope,
  implicitResponseLocation,
  type RawParameters,
  type RegisteredClient,
  resolveResponseTarget,
  type ResponseTarget,
  sha256Hash,
  UnsafeAuthorizationRequest,
  validateAuthorizationRequest,
  applyScopePolicy,
  groupsNamedByPolicy,
  type ScopePolicy,
} from '@authz/oauth';
import {
  type AccessTokenIssuer,
  type AuthorizationCodeStore,
  type ClientRegistry,
  type Clock,
  type CredentialVerifier,
  type EventPublisher,
  isDependencyUnavailable,
  type Logger,
} from '@authz/ports';
import { describeError } from '@authz/platform';
import type { ConsentStore } from './consent-store';
import { type Interaction, type InteractionStore, randomId } from './interaction-store';
import type { Pages } from './pages';
import type { SessionCodec } from './session';

/** What the controller sends back: a page or a redirect, and the cookies to set. */
export type FlowResult = {
  status: number;
  location?: string;
  html?: string;
  /** A new session cookie value. */
  session?: string;
  /** A new browser-binding cookie value. */
  browser?: string;
  /** The origin (or scheme) a form on this page may end up redirected to (CSP form-action). */
  redirectTarget?: string;
  retryAfter?: number;
};

/** The cookies and facts about the browser's request that the flow needs. */
export type BrowserContext = {
  sessionCookie?: string;
  browserCookie?: string;
  clientIp?: string;
  correlationId: string;
};

export type AuthorizationFlowDeps = {
  clients: ClientRegistry;
  codes: AuthorizationCodeStore;
  verifier: CredentialVerifier;
  publisher: EventPublisher;
  consents: ConsentStore;
  interactions: InteractionStore;
  sessions: SessionCodec;
  pages: Pages;
  clock: Clock;
  logger: Logger;
  issuer: string;
  codeTtlSeconds: number;
  /** The group → scope policy (SCOPE_POLICY): scopes a user may not have are dropped from the request. */
  scopePolicy?: ScopePolicy | undefined;
  /**
   * Mints access tokens for the legacy implicit flow (RFC 6749 §4.2): the token service's issuer
   * (same keys, same event). Without one, response_type=token is unsupported_response_type.
   */
  accessTokens?: AccessTokenIssuer;
};


/**
 * Where the pages are, as the browser sees them: under the issuer's path (an issuer
 * `https://example.org/tenant-a` serves `/tenant-a/authorize/login`), the ingress routing `/authorize*`
 * of that path to the authorize service.
 */
export function pagePaths(issuer: string): { login: string; consent: string; resume: string; css: string } {
  const base = new URL(issuer).pathname.replace(/\/$/, '');
  return { login: `${base}/authorize/login`, consent: `${base}/authorize/consent`, resume: `${base}/authorize/resume`, css: `${base}/authorize/assets/authorize.css` };
}

const BROWSER_BINDING = /^[A-Za-z0-9_-]{43}$/;
const MAX_USERNAME = 256;
const MAX_PASSWORD = 1024;

const MESSAGES = {
  expired: 'This sign-in request has expired or was already used. Return to the application and start again.',
  unavailable: 'Sign-in is temporarily unavailable. Please try again in a moment.',
  invalid: 'The username or password is incorrect.',
  password_expired: 'Your password has expired. Change it, then sign in again.',
  must_change_password: 'You must change your password before you can sign in.',
  missing: 'Enter your username and password.',
};

/**
 * The authorization code flow of the seed documents, step by step: /authorize validates the request
 * (errors that make the redirect unsafe are shown, never redirected), then login page → identity
 * service → consent page → code → redirect. The request travels server-side in an interaction; each
 * form is bound to the browser and usable once.
 */
export class AuthorizationFlow {
  private readonly paths: { login: string; consent: string; resume: string };

  constructor(private readonly deps: AuthorizationFlowDeps) {
    this.paths = pagePaths(deps.issuer);
  }

  /**
   * GET or POST /authorize. A POST without the browser-binding cookie may be a cross-site form post, on
   * which SameSite=Lax cookies are not sent although the browser has them: minting a binding there would
   * replace the browser's one and orphan its other tabs' interactions. Such a request is kept server-side
   * under a one-use id and the browser is sent (303) to GET /authorize/resume, a top-level navigation that
   * carries the cookies (the binding, and the session for prompt=none).
   */
  async authorize(parameters: RawParameters, context: BrowserContext, method: 'GET' | 'POST' = 'GET'): Promise<FlowResult> {
    let target: ResponseTarget;
    try {
      target = await resolveResponseTarget(parameters, (id) => this.deps.clients.find(id));
    } catch (error) {
      if (error instanceof UnsafeAuthorizationRequest) return this.errorPage(400, 'The sign-in request is invalid', error.message);
      return this.failurePage(error, context);
    }
    try {
      const request = validateAuthorizationRequest(parameters, target);
      // The legacy implicit flow (RFC 6749 §4.2; RFC 9700 §2.1.2 advises against it) is served only to a
      // client registered for it (any other is unauthorized_client, above) and only where an access
      // token issuer is wired; otherwise the client learns so in the fragment (§4.2.2.1).
      if (request.responseType === 'token' && !this.deps.accessTokens) {
        throw new AuthorizationRequestError('unsupported_response_type', 'response_type token (implicit) is not served; use code with PKCE');
      }
      if (method === 'POST' && !hasBrowserBinding(context)) {
        const pendingId = randomId();
        await this.deps.interactions.savePending(pendingId, request);
        return { status: 303, location: `${this.paths.resume}?request=${pendingId}` };
      }
      return await this.begin(request, target.client, context);
    } catch (error) {
      return this.redirectError(target, error, 302, context);
    }
  }

  /**
   * GET /authorize/resume?request=… (after a POST /authorize without the binding cookie): the request,
   * validated then, taken once. It grants nothing the request's parameters did not: anyone may send a
   * browser to /authorize with them.
   */
  async resume(pendingId: string | undefined, context: BrowserContext): Promise<FlowResult> {
    let request: AuthorizationRequest | undefined;
    let client: RegisteredClient | null = null;
    try {
      request = await this.deps.interactions.takePending(pendingId);
      if (request) client = await this.deps.clients.find(request.clientId);
    } catch (error) {
      return this.failurePage(error, context);
    }
    if (!request || !client) return this.errorPage(400, 'This sign-in request has expired', MESSAGES.expired);
    try {
      return await this.begin(request, client, context);
    } catch (error) {
      return this.redirectError(this.targetOf({ request }, client), error, 302, context);
    }
  }

  /** Starts the interaction, bound to the browser's binding cookie (a new one only when it sent none). */
  private async begin(request: AuthorizationRequest, client: RegisteredClient, context: BrowserContext): Promise<FlowResult> {
    const browser = hasBrowserBinding(context) ? context.browserCookie! : randomId();
    const session = await this.deps.sessions.open(context.sessionCookie, this.now());
    const interaction: Interaction = { id: randomId(), request, browser: sha256Hash(browser), createdAt: this.now() };
    const result = await this.proceed(interaction, client, session, { freshLogin: false, consentGiven: false, context, status: 302 });
    return browser === context.browserCookie ? result : { ...result, browser };
  }

  /** GET /authorize/login?interaction=… */
  async showLogin(interactionId: string | undefined, context: BrowserContext): Promise<FlowResult> {
    return this.withInteraction(interactionId, context, async (interaction, client) => this.loginPage(interaction, client, 200));
  }

  /** POST /authorize/login */
  async submitLogin(form: ReadonlyMap<string, string>, context: BrowserContext): Promise<FlowResult> {
    return this.withPostedInteraction(form, context, async (interaction, client) => {
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      if (username === '' || password === '' || username.length > MAX_USERNAME || password.length > MAX_PASSWORD || /[\x00-\x1f\x7f]/.test(username)) {
        return this.loginPage(interaction, client, 400, { username: username.slice(0, MAX_USERNAME), error: MESSAGES.missing });
      }
      let verdict;
      try {
        verdict = await this.deps.verifier.verify({ username, password, clientId: client.clientId, ...(context.clientIp ? { clientIp: context.clientIp } : {}) }, { correlationId: context.correlationId });
      } catch (error) {
        if (!isDependencyUnavailable(error)) throw error;
        // An identity or directory outage is never a failed login (the identity service does not count it).
        this.deps.logger.warn({ reqId: context.correlationId, err: String(error) }, 'identity unavailable at login');
        return { ...(await this.loginPage(interaction, client, 503, { username, error: MESSAGES.unavailable })), retryAfter: 5 };
      }
      if (verdict.outcome === 'invalid_credentials') return this.loginPage(interaction, client, 401, { username, error: MESSAGES[verdict.reason ?? 'invalid'] });
      if (verdict.outcome === 'locked') {
        const page = await this.loginPage(interaction, client, 429, { username, error: `Too many failed attempts. Try again in ${waitText(verdict.retryAfter)}.` });
        return { ...page, retryAfter: verdict.retryAfter };
      }
      const policy = this.deps.scopePolicy;
      const groups = policy ? groupsNamedByPolicy(policy, verdict.user.groups) : [];
      const user: AuthenticatedUser = { subject: verdict.user.subject, username: verdict.user.username, authTime: verdict.authTime, ...(groups.length > 0 ? { groups } : {}) };
      const session = await this.deps.sessions.seal(user, this.now());
      const next = await this.proceed(interaction, client, user, { freshLogin: true, consentGiven: false, context, status: 303 });
      return { ...next, session };
    });
  }

  /** GET /authorize/consent?interaction=… */
  async showConsent(interactionId: string | undefined, context: BrowserContext): Promise<FlowResult> {
    return this.withInteraction(interactionId, context, async (interaction, client) => {
      if (!interaction.login) return this.errorPage(400, 'The sign-in request is invalid', MESSAGES.expired);
      return this.consentPage(interaction, client);
    });
  }

  /** POST /authorize/consent */
  async submitConsent(form: ReadonlyMap<string, string>, context: BrowserContext): Promise<FlowResult> {
    return this.withPostedInteraction(form, context, async (interaction, client) => {
      const user = interaction.login;
      const session = await this.deps.sessions.open(context.sessionCookie, this.now());
      if (!user || session?.subject !== user.subject) return this.errorPage(400, 'The sign-in request is invalid', MESSAGES.expired);
      const decision = form.get('decision');
      if (decision === 'deny') {
        await this.deps.interactions.finish(interaction.id);
        return this.redirectTo(this.targetOf(interaction, client), 'access_denied', 'the user denied the request', 303);
      }
      if (decision !== 'allow') return this.errorPage(400, 'The sign-in request is invalid', MESSAGES.expired);
      const granted = await this.deps.publisher.publish(
        {
          type: 'oauth.consent.granted.v1',
          subject: user.subject,
          data: { sub: user.subject, clientId: client.clientId, scopes: interaction.request.scopes, grantedAt: this.now() },
        },
        { correlationId: context.correlationId },
      );
      await this.deps.consents.record(granted);
      return this.proceed(interaction, client, user, { freshLogin: true, consentGiven: true, context, status: 303 });
    });
  }

  /** Decide, then act: the login page, the consent page, the code, or an error for the client. */
  private async proceed(
    interaction: Interaction,
    client: RegisteredClient,
    session: AuthenticatedUser | undefined,
    options: { freshLogin: boolean; consentGiven: boolean; context: BrowserContext; status: 302 | 303 },
  ): Promise<FlowResult> {
    // The group → scope policy: what this user may not have is dropped from the request (not an error;
    // the token response's `scope` shows what was granted, RFC 6749 §3.3).
    if (session && this.deps.scopePolicy) {
      const { granted } = applyScopePolicy(this.deps.scopePolicy, client.clientId, session.groups ?? [], interaction.request.scopes);
      if (granted.length !== interaction.request.scopes.length) interaction = { ...interaction, request: { ...interaction.request, scopes: granted } };
    }
    const { request } = interaction;
    const grantedScopes = session && client.skipConsent !== true ? await this.deps.consents.grantedScopes(session.subject, client.clientId) : [];
    const step = decideAuthorizationStep({ request, client, session, freshLogin: options.freshLogin, grantedScopes, consentGiven: options.consentGiven, now: this.now() });
    switch (step.step) {
      case 'login':
        await this.deps.interactions.save({ ...interaction, login: undefined });
        return { status: options.status, location: `${this.paths.login}?interaction=${interaction.id}` };
      case 'consent':
        await this.deps.interactions.save({ ...interaction, login: step.user });
        return { status: options.status, location: `${this.paths.consent}?interaction=${interaction.id}` };
      case 'error':
        await this.deps.interactions.finish(interaction.id);
        return this.redirectTo(this.targetOf(interaction, client), step.error, step.description, options.status);
      case 'issue': {
        await this.deps.interactions.finish(interaction.id);
        const location =
          request.responseType === 'token' ? await this.issueImplicitToken(request, client, step.user, options.context) : await this.issueCode(request, step.user, options.context);
        return { status: options.status, location };
      }
    }
  }

  /** RFC 6749 §4.1.2: a 256-bit code, stored by its hash for at most 60 s, announced by its hash. */
  private async issueCode(request: AuthorizationRequest, user: AuthenticatedUser, context: BrowserContext): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const codeHash = sha256Hash(code);
    const now = this.now();
    const grant: AuthorizationCodeGrant = {
      grantId: randomBytes(16).toString('base64url'),
      clientId: request.clientId,
      // RFC 6749 §4.1.3: the token request must repeat the redirect_uri only if the authorization request had one.
      ...(request.redirectUriGiven ? { redirectUri: request.redirectUri } : {}),
      scopes: request.scopes,
      // RFC 8707 §2: the grant is bound to the requested resources (validated within the client's audience).
      ...(request.resources ? { resources: request.resources } : {}),
      subject: user.subject,
      authTime: user.authTime,
      ...(request.codeChallenge ? { codeChallenge: request.codeChallenge, codeChallengeMethod: request.codeChallengeMethod } : {}),
      issuedAt: now,
      expiresAt: now + this.deps.codeTtlSeconds,
    };
    await this.deps.codes.save(codeHash, grant);
    await this.deps.publisher.publish(
      {
        type: 'oauth.authorization_code.issued.v1',
        subject: grant.grantId,
        data: {
          grantId: grant.grantId,
          clientId: grant.clientId,
          sub: grant.subject,
          scope: formatScope(grant.scopes),
          redirectUri: request.redirectUri,
          codeHash,
          ...(grant.codeChallengeMethod ? { pkceMethod: grant.codeChallengeMethod } : {}),
          authTime: grant.authTime,
          issuedAt: grant.issuedAt,
          expiresAt: grant.expiresAt,
        },
      },
      { correlationId: context.correlationId },
    );
    return codeResponseLocation(request, code, this.deps.issuer);
  }

  /**
   * RFC 6749 §4.2.2: the access token itself, in the fragment, never a refresh token. The same RFC 9068
   * JWT as at /token, minted by the same issuer (active signing key; oauth.access_token.issued.v1 with
   * grantType implicit acknowledged by the log before the redirect leaves). PKCE does not apply.
   */
  private async issueImplicitToken(request: AuthorizationRequest, client: RegisteredClient, user: AuthenticatedUser, context: BrowserContext): Promise<string> {
    const issued = await this.deps.accessTokens!.issueAccessToken(
      {
        client,
        grantType: 'implicit',
        grantId: randomBytes(16).toString('base64url'),
        subject: user.subject,
        scopes: request.scopes,
        // RFC 8707 §2: the requested resources (within the client's audience), else the client's audience.
        audience: request.resources ?? client.audience,
        authTime: user.authTime,
      },
      context.correlationId,
    );
    return implicitResponseLocation(request, issued, this.deps.issuer);
  }

  private async loginPage(interaction: Interaction, client: RegisteredClient, status: number, extra: { username?: string; error?: string } = {}): Promise<FlowResult> {
    const formToken = await this.deps.interactions.issueFormToken(interaction.id);
    const html = this.deps.pages.login({ clientName: client.clientName, action: this.paths.login, interaction: interaction.id, formToken, ...extra });
    return { status, html, redirectTarget: redirectTargetOf(interaction.request.redirectUri) };
  }

  private async consentPage(interaction: Interaction, client: RegisteredClient): Promise<FlowResult> {
    const formToken = await this.deps.interactions.issueFormToken(interaction.id);
    const html = this.deps.pages.consent({
      clientName: client.clientName,
      action: this.paths.consent,
      interaction: interaction.id,
      formToken,
      username: interaction.login!.username,
      scopes: interaction.request.scopes,
      resources: interaction.request.resources ?? [],
    });
    return { status: 200, html, redirectTarget: redirectTargetOf(interaction.request.redirectUri) };
  }

  /** Loads the interaction of a GET page, bound to this browser. */
  private async withInteraction(
    interactionId: string | undefined,
    context: BrowserContext,
    work: (interaction: Interaction, client: RegisteredClient) => Promise<FlowResult>,
  ): Promise<FlowResult> {
    try {
      const interaction = await this.deps.interactions.find(interactionId);
      if (!interaction || !context.browserCookie || interaction.browser !== sha256Hash(context.browserCookie)) {
        return this.errorPage(400, 'This sign-in request has expired', MESSAGES.expired);
      }
      const client = await this.deps.clients.find(interaction.request.clientId);
      if (!client) return this.errorPage(400, 'This sign-in request has expired', MESSAGES.expired);
      return await work(interaction, client);
    } catch (error) {
      return this.failurePage(error, context);
    }
  }

  /** Loads the interaction of a POSTed form: bound to this browser, with a one-use form token (CSRF, replay). */
  private async withPostedInteraction(
    form: ReadonlyMap<string, string>,
    context: BrowserContext,
    work: (interaction: Interaction, client: RegisteredClient) => Promise<FlowResult>,
  ): Promise<FlowResult> {
    return this.withInteraction(form.get('interaction'), context, async (interaction, client) => {
      if (!(await this.deps.interactions.redeemFormToken(interaction.id, form.get('form_token')))) {
        return this.errorPage(400, 'This form has expired', 'This form was already sent or has expired. Return to the application and start again.');
      }
      try {
        return await work(interaction, client);
      } catch (error) {
        // The client is trusted here: a dependency outage is temporarily_unavailable at its redirect URI.
        if (isDependencyUnavailable(error)) return this.redirectError(this.targetOf(interaction, client), error, 303, context);
        throw error;
      }
    });
  }

  private targetOf(interaction: Pick<Interaction, 'request'>, client: RegisteredClient): ResponseTarget {
    const { request } = interaction;
    return {
      client,
      redirectUri: request.redirectUri,
      redirectUriGiven: request.redirectUriGiven,
      responseMode: request.responseType === 'token' ? 'fragment' : 'query',
      ...(request.state !== undefined ? { state: request.state } : {}),
    };
  }

  private redirectTo(target: ResponseTarget, error: AuthorizationErrorCode, description: string, status: number): FlowResult {
    return { status, location: errorResponseLocation(target, error, description, this.deps.issuer) };
  }

  private redirectError(target: ResponseTarget, error: unknown, status: number, context: BrowserContext): FlowResult {
    if (error instanceof AuthorizationRequestError) return this.redirectTo(target, error.error, error.description, status);
    if (isDependencyUnavailable(error)) {
      this.deps.logger.warn({ reqId: context.correlationId, err: String(error) }, 'dependency unavailable at the authorization endpoint');
      return this.redirectTo(target, 'temporarily_unavailable', 'the service is temporarily unavailable, retry later', status);
    }
    this.deps.logger.error({ reqId: context.correlationId, err: describeError(error) }, 'unhandled error at the authorization endpoint');
    return this.redirectTo(target, 'server_error', 'the server encountered an unexpected condition', status);
  }

  private failurePage(error: unknown, context: BrowserContext): FlowResult {
    if (isDependencyUnavailable(error)) {
      this.deps.logger.warn({ reqId: context.correlationId, err: String(error) }, 'dependency unavailable');
      return { ...this.errorPage(503, 'Sign-in is unavailable', MESSAGES.unavailable), retryAfter: 5 };
    }
    this.deps.logger.error({ reqId: context.correlationId, err: describeError(error) }, 'unhandled error on a sign-in page');
    return this.errorPage(500, 'Something went wrong', `Sign-in failed unexpectedly. Reference: ${context.correlationId}`);
  }

  errorPage(status: number, heading: string, message: string): FlowResult {
    return { status, html: this.deps.pages.error(heading, message) };
  }

  private now(): number {
    return Math.floor(this.deps.clock.now().getTime() / 1000);
  }
}

function hasBrowserBinding(context: BrowserContext): boolean {
  return context.browserCookie !== undefined && BROWSER_BINDING.test(context.browserCookie);
}

/** What CSP form-action must allow for a form whose answer redirects to this URI: its origin, or its private-use scheme. */
function redirectTargetOf(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

/** "5 seconds", "1 minute", "15 minutes". */
function waitText(seconds: number): string {
  if (seconds < 60) {
    const whole = Math.max(1, Math.ceil(seconds));
    return `${whole} second${whole === 1 ? '' : 's'}`;
  }
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

