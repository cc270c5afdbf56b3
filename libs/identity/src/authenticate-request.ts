import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidRequest } from '@authz/oauth';
import { CREDENTIAL_LIMITS, type CredentialCheck, type CredentialVerdict } from '@authz/ports';

/**
 * The identity service's internal API, `POST /internal/v1/authenticate` (JSON both ways):
 *
 *   request   {"username": "...", "password": "...", "client_id": "...", "client_ip": "..."}   (client_ip optional)
 *   200       {"outcome": "authenticated", "user": {...}, "auth_time": 1700000000}
 *             {"outcome": "invalid_credentials"}
 *             {"outcome": "locked", "retry_after": 30}
 *   400       {"error": "invalid_request", ...}          malformed body (never a 5xx)
 *   401       {"error": "invalid_token", ...}            missing or wrong IDENTITY_INTERNAL_TOKEN
 *   503       {"error": "temporarily_unavailable", ...}  the directory, the counters or the event log is down
 */
export const AUTHENTICATE_PATH = 'internal/v1/authenticate';

const authenticateBody = z
  .object({
    username: z.string().min(1).max(CREDENTIAL_LIMITS.usernameMaxLength),
    password: z.string().refine((value) => Buffer.byteLength(value, 'utf8') <= CREDENTIAL_LIMITS.passwordMaxBytes),
    client_id: z.string().min(1).max(CREDENTIAL_LIMITS.clientIdMaxLength),
    client_ip: z
      .string()
      .max(64)
      .refine((value) => isIP(value) !== 0)
      .optional(),
  })
  .strict();

const FIELDS = ['username', 'password', 'client_id', 'client_ip'];

/**
 * The body as a CredentialCheck, or InvalidRequest. Descriptions name the field, never echo a value
 * (the body holds a password).
 */
export function parseAuthenticateRequest(contentType: string | undefined, body: unknown): CredentialCheck {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) throw new InvalidRequest('the request body must be application/json');
  // Fastify parses application/json itself (a malformed body is its 400, which never echoes the body);
  // a body that reaches here as text is parsed here.
  let json: unknown = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body);
    } catch {
      throw new InvalidRequest('the request body is not valid JSON');
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidRequest('the request body must be a JSON object');
  const unknown = Object.keys(json).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) throw new InvalidRequest('the request body has unknown members');
  const parsed = authenticateBody.safeParse(json);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'body');
    throw new InvalidRequest(`${field} is missing or invalid`);
  }
  const { username, password, client_id: clientId, client_ip: clientIp } = parsed.data;
  return { username, password, clientId, ...(clientIp !== undefined ? { clientIp } : {}) };
}

/** A verdict as the wire answers it (snake_case, RFC style). */
export function verdictBody(verdict: CredentialVerdict): Record<string, unknown> {
  switch (verdict.outcome) {
    case 'authenticated':
      return { outcome: 'authenticated', user: verdict.user, auth_time: verdict.authTime };
    case 'invalid_credentials':
      return verdict.reason !== undefined ? { outcome: 'invalid_credentials', reason: verdict.reason } : { outcome: 'invalid_credentials' };
    case 'locked':
      return { outcome: 'locked', retry_after: verdict.retryAfter };
  }
}
