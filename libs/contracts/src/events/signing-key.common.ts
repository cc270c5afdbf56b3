import { z } from 'zod';

/**
 * The JWS algorithms (RFC 7518 §3, RFC 8037 §3.1) a signing key may have: ES256 (P-256, the default),
 * EdDSA (Ed25519), RS256 and PS256 (RSA, 2048 bits).
 */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export const signingAlgorithm = z.enum(SIGNING_ALGORITHMS);
export type SigningAlgorithm = z.infer<typeof signingAlgorithm>;

/** The lifecycle of a signing key: published before it signs, retired (still published) after, revoked at once in an emergency. */
export const SIGNING_KEY_STATUSES = ['pending', 'active', 'retired', 'revoked'] as const;
export type SigningKeyStatus = (typeof SIGNING_KEY_STATUSES)[number];

const common = { kid: z.string().min(1), use: z.literal('sig') };

/** A public JWK (RFC 7517) of any of the algorithms above. A private member ("d", "p", …) is refused by the schemas (strict). */
export const publicSigningJwk = z.discriminatedUnion('kty', [
  z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().min(1), y: z.string().min(1), alg: z.literal('ES256'), ...common }).strict(),
  z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(1), alg: z.literal('EdDSA'), ...common }).strict(),
  z.object({ kty: z.literal('RSA'), n: z.string().min(1), e: z.string().min(1), alg: z.enum(['RS256', 'PS256']), ...common }).strict(),
]);
export type PublicSigningJwk = z.infer<typeof publicSigningJwk>;

/** Seconds since the epoch (RFC 7519 NumericDate). */
export const epochSeconds = z.number().int().nonnegative();
