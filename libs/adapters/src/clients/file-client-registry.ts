import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { grantType, type GrantType, storedSecretHash } from '@authz/contracts';
import { CLIENT_AUTH_METHODS, isAcceptableRedirectUri, RESPONSE_TYPES, type RegisteredClient } from '@authz/oauth';

/** One client in the seed file; names follow RFC 7591 client metadata. */
const seedClient = z
  .object({
    client_id: z.string().min(1),
    client_name: z.string().min(1),
    /**
     * The stored hash of the secret, never the secret: `sha256:<base64url>` (unkeyed) or
     * `hmac-sha256:<base64url>` (keyed with CLIENT_SECRET_PEPPER, as `npm run cli -- clients hash-secret` prints).
     * Required unless the method is "none".
     */
    client_secret_hash: storedSecretHash.optional(),
    token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS),
    /**
     * RFC 7591 §2.1 grant types; `implicit` goes with response type `token` (the legacy implicit flow,
     * seed clients only) and is not a grant of the token endpoint, so it is not in `grantTypes`.
     */
    grant_types: z.array(z.union([grantType, z.literal('implicit')])).min(1),
    scope: z.string().default(''),
    default_scope: z.string().default(''),
    audience: z.array(z.string().min(1)).default([]),
    redirect_uris: z.array(z.string().url()).default([]),
    access_token_ttl: z.number().int().min(30).max(86_400).optional(),
    /** RFC 7591 §2; default ["code"] with the authorization_code grant. "token" (implicit) is legacy. */
    response_types: z.array(z.enum(RESPONSE_TYPES)).optional(),
    /** PKCE on the code flow; default true (public clients always). */
    require_pkce: z.boolean().optional(),
    /** Accept code_challenge_method=plain; default false. */
    allow_plain_pkce: z.boolean().optional(),
    /** First-party client: no consent page; default false. */
    skip_consent: z.boolean().optional(),
  })
  .strict()
  .superRefine((client, ctx) => {
    const confidential = client.token_endpoint_auth_method !== 'none';
    if (confidential !== (client.client_secret_hash !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'client_secret_hash is required for confidential clients and refused for public ones' });
    }
    const allowed = split(client.scope);
    if (split(client.default_scope).some((scope) => !allowed.includes(scope))) {
      ctx.addIssue({ code: 'custom', message: 'default_scope must be a subset of scope' });
    }
    // RFC 6749 §3.1.2, RFC 9700 §2.1: absolute, no fragment, https or loopback http, never javascript: or data:.
    for (const uri of client.redirect_uris) {
      if (!isAcceptableRedirectUri(uri)) ctx.addIssue({ code: 'custom', message: `redirect_uri not acceptable: ${uri}` });
    }
  });

const seedFile = z.object({ clients: z.array(seedClient) }).strict();

/**
 * The seed clients of a JSON file (deploy/seed/clients.json), validated at startup. The
 * EventSourcedClientRegistry serves them first, read-only, then the registered clients.
 */
export class FileClientRegistry {
  private readonly clients: ReadonlyMap<string, RegisteredClient>;

  constructor(path: string) {
    this.clients = FileClientRegistry.parse(readFileSync(path, 'utf8'), path);
  }

  static parse(json: string, origin = 'clients file'): ReadonlyMap<string, RegisteredClient> {
    const parsed = seedFile.safeParse(JSON.parse(json));
    if (!parsed.success) {
      throw new Error(`${origin}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const clients = new Map<string, RegisteredClient>();
    for (const client of parsed.data.clients) {
      if (clients.has(client.client_id)) throw new Error(`${origin}: duplicate client_id ${client.client_id}`);
      clients.set(client.client_id, {
        clientId: client.client_id,
        clientName: client.client_name,
        ...(client.client_secret_hash ? { secretHash: client.client_secret_hash } : {}),
        tokenEndpointAuthMethod: client.token_endpoint_auth_method,
        grantTypes: client.grant_types.filter((type): type is GrantType => type !== 'implicit'),
        scope: split(client.scope),
        defaultScope: split(client.default_scope),
        audience: client.audience,
        redirectUris: client.redirect_uris,
        ...(client.access_token_ttl ? { accessTokenTtl: client.access_token_ttl } : {}),
        ...(client.response_types ? { responseTypes: client.response_types } : {}),
        ...(client.require_pkce !== undefined ? { requirePkce: client.require_pkce } : {}),
        ...(client.allow_plain_pkce !== undefined ? { allowPlainPkce: client.allow_plain_pkce } : {}),
        ...(client.skip_consent !== undefined ? { skipConsent: client.skip_consent } : {}),
      });
    }
    return clients;
  }

  async find(clientId: string): Promise<RegisteredClient | null> {
    return this.clients.get(clientId) ?? null;
  }

  all(): RegisteredClient[] {
    return [...this.clients.values()];
  }
}

function split(scope: string): string[] {
  return scope.split(' ').filter(Boolean);
}
