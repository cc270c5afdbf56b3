import type { RegisteredClient } from '../clients/registered-client';
import type { AuthorizationRequest } from './authorization-request';

/** Who is logged in, as the session cookie says. */
export type AuthenticatedUser = {
  subject: string;
  username: string;
  /** seconds since the epoch */
  authTime: number;
  /** The user's group DNs that the scope policy names (only those: the session cookie stays small). */
  groups?: string[];
};

/**
 * What the authorization endpoint does next (decide, then act): each step is one of these, so the
 * controller reads as the flow of the seed documents: login page → consent page → redirect.
 */
export type AuthorizationStep =
  | { step: 'login' }
  | { step: 'consent'; user: AuthenticatedUser }
  | { step: 'issue'; user: AuthenticatedUser }
  | { step: 'error'; error: 'login_required' | 'consent_required'; description: string };

export type DecisionInput = {
  request: AuthorizationRequest;
  client: RegisteredClient;
  /** The session's user, if a valid session cookie came with the request. */
  session: AuthenticatedUser | undefined;
  /** Whether the user logged in during this very interaction (prompt=login and max_age are then satisfied). */
  freshLogin: boolean;
  /** Scopes this user already granted this client (the consent projection). */
  grantedScopes: readonly string[];
  /** Whether the user answered the consent page during this very interaction. */
  consentGiven: boolean;
  /** Seconds since the epoch. */
  now: number;
};

/** Whether the session may be used for this request (prompt=login, max_age: OpenID Connect Core §3.1.2.1). */
export function sessionSatisfies(request: AuthorizationRequest, session: AuthenticatedUser | undefined, freshLogin: boolean, now: number): session is AuthenticatedUser {
  if (!session) return false;
  if (freshLogin) return true;
  if (request.prompt.includes('login')) return false;
  if (request.maxAge !== undefined && now - session.authTime > request.maxAge) return false;
  return true;
}

/**
 * Whether the consent page must be shown: never for a first-party client registered with
 * skipConsent; always with prompt=consent (until answered); otherwise unless every requested scope
 * was granted before.
 */
export function consentNeeded(input: Pick<DecisionInput, 'request' | 'client' | 'grantedScopes' | 'consentGiven'>): boolean {
  if (input.consentGiven) return false;
  if (input.client.skipConsent === true) return false;
  if (input.request.prompt.includes('consent')) return true;
  return !input.request.scopes.every((scope) => input.grantedScopes.includes(scope));
}

export function decideAuthorizationStep(input: DecisionInput): AuthorizationStep {
  const { request } = input;
  const promptNone = request.prompt.includes('none');
  if (!sessionSatisfies(request, input.session, input.freshLogin, input.now)) {
    // OpenID Connect Core §3.1.2.6: with prompt=none nothing is shown, the client learns why.
    if (promptNone) return { step: 'error', error: 'login_required', description: 'the user must log in' };
    return { step: 'login' };
  }
  if (consentNeeded(input)) {
    if (promptNone) return { step: 'error', error: 'consent_required', description: 'the user must consent' };
    return { step: 'consent', user: input.session! };
  }
  return { step: 'issue', user: input.session! };
}
