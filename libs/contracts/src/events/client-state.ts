import { z } from 'zod';
import { grantType, storedSecretHash } from './common';

/**
 * A client's public key for private_key_jwt (RFC 7517, RFC 7591 `jwks`): EC, RSA or OKP public
 * members only. A private member (`d`, `p`, `q`, …) or a symmetric key (`k`) is refused by the schema.
 */
export const clientPublicJwk = z
  .object({
    kty: z.enum(['EC', 'RSA', 'OKP']),
    kid: z.string().min(1).optional(),
    alg: z.string().min(1).optional(),
    use: z.literal('sig').optional(),
    key_ops: z.array(z.literal('verify')).optional(),
    crv: z.string().min(1).optional(),
    x: z.string().min(1).optional(),
    y: z.string().min(1).optional(),
    n: z.string().min(1).optional(),
    e: z.string().min(1).optional(),
  })
  .strict();

/**
 * The whole state of a registered client, as the client events carry it (field names follow the
 * suite's RegisteredClient). The secret is only ever its hash.
 */
export const clientState = z
  .object({
    clientName: z.string().min(1),
    /** The stored hash of the client secret; absent for public clients. */
    secretHash: storedSecretHash.optional(),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    grantTypes: z.array(grantType).min(1),
    responseTypes: z.array(z.enum(['code', 'token'])),
    scope: z.array(z.string().min(1)),
    defaultScope: z.array(z.string().min(1)),
    audience: z.array(z.string().min(1)),
    redirectUris: z.array(z.string().min(1)),
    accessTokenTtl: z.number().int().positive().optional(),
    refreshTokenTtl: z.number().int().positive().optional(),
    refreshTokenIdleTtl: z.number().int().positive().optional(),
    requirePkce: z.boolean().optional(),
    allowPlainPkce: z.boolean().optional(),
    skipConsent: z.boolean().optional(),
    jwks: z.object({ keys: z.array(clientPublicJwk) }).strict().optional(),
    jwksUri: z.string().min(1).optional(),
    clientUri: z.string().min(1).optional(),
    logoUri: z.string().min(1).optional(),
  })
  .strict();

export type ClientState = z.infer<typeof clientState>;

/** What registered.v1 and updated.v1 both carry: the client id, its revision and its whole state. */
export const clientSnapshot = z
  .object({
    clientId: z.string().min(1),
    /** 1 at registration, +1 per change: a replica keeps the highest it has seen (see the registry). */
    revision: z.number().int().positive(),
    /** RFC 7591 `client_id_issued_at`, seconds since the epoch. */
    clientIdIssuedAt: z.number().int().nonnegative(),
    /** Hash of the RFC 7592 registration access token; absent for clients managed by the admin CLI only. */
    registrationAccessTokenHash: storedSecretHash.optional(),
    client: clientState,
  })
  .strict();
