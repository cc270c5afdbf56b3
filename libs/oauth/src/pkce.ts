import { createHash } from 'node:crypto';
import type { AuthorizationCodeGrant } from './authorization-code';
import { type RegisteredClient, requiresPkce } from './clients/registered-client';
import { InvalidGrant, InvalidRequest } from './errors';
import { constantTimeEquals } from './hash';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** A malformed code_verifier is a malformed request (RFC 6749 §5.2), refused before the code is spent. */
export function checkCodeVerifierSyntax(verifier: string | undefined): void {
  if (verifier !== undefined && !CODE_VERIFIER.test(verifier)) {
    throw new InvalidRequest('code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)');
  }
}

/** BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2). */
export function s256CodeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * PKCE at the token endpoint (RFC 7636 §4.6) with RFC 9700 §2.1.1's downgrade protection: a code
 * issued with a challenge needs the verifier; a code issued without one refuses a verifier (an
 * attacker who strips the challenge from the authorization request cannot then redeem with one);
 * a client that must use PKCE cannot redeem a code without it; `plain` only for a client registered for it.
 */
export function verifyPkce(grant: AuthorizationCodeGrant, verifier: string | undefined, client: RegisteredClient): void {
  if (grant.codeChallenge === undefined) {
    if (verifier !== undefined || requiresPkce(client)) throw pkceFailed();
    return;
  }
  if (verifier === undefined) throw pkceFailed();
  const method = grant.codeChallengeMethod ?? 'plain'; // RFC 7636 §4.3: the default is plain.
  if (method === 'plain' && client.allowPlainPkce !== true) throw pkceFailed();
  const computed = method === 'S256' ? s256CodeChallenge(verifier) : verifier;
  if (!constantTimeEquals(computed, grant.codeChallenge)) throw pkceFailed();
}

/** Made only when thrown: an Error captures its stack, which a successful exchange should not pay for. */
function pkceFailed(): InvalidGrant {
  return new InvalidGrant('PKCE verification failed');
}
