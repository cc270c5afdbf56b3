import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { storedSecretHash } from '@authz/contracts';
import { CLIENT_AUTH_METHODS, CLIENT_METADATA_FIELDS, OAuthError, type RegisteredClient, SEED_CLIENT_POLICY, validateClientMetadata } from '@authz/oauth';

/**
 * What only a seed client has besides its RFC 7591 metadata: its id, and the stored hash of its secret,
 * never the secret: `sha256:<base64url>` (unkeyed) or `hmac-sha256:<base64url>` (keyed with
 * CLIENT_SECRET_PEPPER, as `npm run cli -- clients hash-secret` prints). The name, the method and the
 * grant types are required here (registration has defaults for them).
 */
const seedIdentity = z.object({
  client_id: z.string().min(1).max(255),
  client_secret_hash: storedSecretHash.optional(),
  client_name: z.string().min(1),
  token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS),
  grant_types: z.array(z.string()).min(1),
});

const SEED_ONLY_FIELDS = ['client_id', 'client_secret_hash'];
const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];

const seedFile = z.object({ clients: z.array(z.record(z.unknown())) }).strict();

/**
 * One seed client, validated like a registration (RFC 7591 §2: redirect URI rules, grant and response
 * type consistency, lifetimes, jwks/jwks_uri; validateClientMetadata) with SEED_CLIENT_POLICY: what only
 * an operator's file may have (the legacy implicit flow, private-use scheme redirect URIs). Unknown
 * members are refused (a typo must not silently drop a setting); an empty scope is no scope.
 */
function parseSeedClient(raw: Record<string, unknown>): RegisteredClient {
  const unknown = Object.keys(raw).filter((key) => !SEED_ONLY_FIELDS.includes(key) && !CLIENT_METADATA_FIELDS.includes(key));
  if (unknown.length > 0) throw new Error(`unknown members: ${unknown.join(', ')}`);
  const identity = seedIdentity.safeParse(raw);
  if (!identity.success) throw new Error(identity.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  const { client_id: clientId, client_secret_hash: secretHash, token_endpoint_auth_method: method } = identity.data;
  // A secret only for the secret methods: a public client has none, a private_key_jwt client its keys.
  if (SECRET_METHODS.includes(method) !== (secretHash !== undefined)) {
    throw new Error(`client_secret_hash is required for ${SECRET_METHODS.join(' and ')} and refused otherwise`);
  }
  const { client_id: _id, client_secret_hash: _hash, ...metadata } = raw;
  for (const name of ['scope', 'default_scope']) if (metadata[name] === '') delete metadata[name];
  let validated;
  try {
    validated = validateClientMetadata(metadata, SEED_CLIENT_POLICY);
  } catch (error) {
    if (error instanceof OAuthError) throw new Error(`${error.error}: ${error.description}`);
    throw error;
  }
  return { clientId, ...(secretHash ? { secretHash } : {}), ...validated };
}

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
    parsed.data.clients.forEach((raw, index) => {
      let client: RegisteredClient;
      try {
        client = parseSeedClient(raw);
      } catch (error) {
        throw new Error(`${origin}: clients.${index}${typeof raw.client_id === 'string' ? ` (${raw.client_id})` : ''}: ${(error as Error).message}`);
      }
      if (clients.has(client.clientId)) throw new Error(`${origin}: duplicate client_id ${client.clientId}`);
      clients.set(client.clientId, client);
    });
    return clients;
  }

  async find(clientId: string): Promise<RegisteredClient | null> {
    return this.clients.get(clientId) ?? null;
  }

  all(): RegisteredClient[] {
    return [...this.clients.values()];
  }
}
