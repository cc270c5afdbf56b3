import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BearerFailure } from './bearer-response';
import type { AccessTokenClaims, Verifier, VerifyOptions } from './verifier';

/** Writes a refused request: status, the challenge headers, `Cache-Control: no-store` and the JSON body. */
export function writeBearerFailure(response: ServerResponse, failure: BearerFailure): void {
  const body = JSON.stringify(failure.body);
  response.writeHead(failure.status, {
    ...failure.headers,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

export type AuthenticatedRequest = IncomingMessage & { auth?: { claims: AccessTokenClaims; scopes: string[] } };

/**
 * A node:http / Express / Connect middleware: verifies the bearer token for `scopes`, then sets
 * `request.auth` and calls `next()`, or answers the RFC 6750 error itself.
 *
 *   app.get('/api/hello', bearerMiddleware(verifier, { scopes: ['api:read'] }), (req, res) => res.json(req.auth.claims));
 */
export function bearerMiddleware(verifier: Verifier, options: VerifyOptions = {}) {
  return (request: AuthenticatedRequest, response: ServerResponse, next: (error?: unknown) => void): void => {
    const header = request.headers.authorization;
    verifier.verify(header, options).then(
      (result) => {
        if (!result.ok) return writeBearerFailure(response, result);
        request.auth = { claims: result.claims, scopes: result.scopes };
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
