import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { authenticateClient, InvalidClient, isConfidential, type OAuthParameters, type RegisteredClient } from '@authz/oauth';
import { ClientAuthenticationService } from '@authz/clients';
import { CLIENT_REGISTRY, CLOCK, type ClientRegistry, type Clock } from '@authz/ports';

/** Authentications remembered at most (oldest first out): a few resource servers call, each with one secret. */
export const CALLER_CACHE_ENTRIES = 1024;
/** How long one is remembered, ms. A rotated secret or a deleted client is refused at once anyway (see below). */
export const CALLER_CACHE_TTL_MS = 60_000;

type SecretMethod = 'client_secret_basic' | 'client_secret_post';

/** One successful authentication: who, how, against which stored secret hash, until when. */
type Remembered = { clientId: string; method: SecretMethod; secretHash: string; expiresAt: number };

/**
 * Authenticates the caller of /introspect (RFC 7662 §2.1: the endpoint MUST require authorization, and
 * a public client proves nothing; §2.3: a caller without valid credentials gets 401 with a Basic
 * challenge, whichever way it sent them).
 *
 * A resource server presents the same credentials at every call: a successful authentication is
 * remembered (CALLER_CACHE_ENTRIES, CALLER_CACHE_TTL_MS) under the SHA-256 of what was presented (the
 * Authorization header, or client_id and client_secret of the body), never under the secret itself.
 * A hit is accepted only if the registry's client, read again at each request (an in-memory lookup),
 * still has the same stored secret hash and the same authentication method: the secret matched that
 * hash before, and the keyed hash is a function of the secret, so the answer is the one the full check
 * would give. A rotated secret, a changed method or a deleted client is refused at the next request,
 * as soon as this replica's registry has applied the client event. Failures are never remembered: a
 * wrong secret always takes the full path, with its constant-time comparison.
 */
@Injectable()
export class CallerAuthentication {
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    private readonly clientAuthentication: ClientAuthenticationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async authenticate(parameters: OAuthParameters, authorization: string | undefined): Promise<RegisteredClient> {
    const presented = presentedSecret(parameters, authorization);
    if (presented) {
      const known = await this.recall(presented.key, parameters);
      if (known) return known;
    }
    const client = await this.authenticateFully(parameters, authorization);
    if (presented) this.remember(presented.key, client, presented.method);
    return client;
  }

  /** The full check (authenticateClient: secret compared in constant time), then a confidential client. */
  private async authenticateFully(parameters: OAuthParameters, authorization: string | undefined): Promise<RegisteredClient> {
    try {
      const { client } = await authenticateClient(parameters, authorization, (id) => this.clients.find(id), this.clientAuthentication.forSecretsOnly());
      if (!isConfidential(client)) throw new InvalidClient('introspection requires a confidential client', { challenge: true });
      return client;
    } catch (error) {
      throw error instanceof InvalidClient ? error.withChallenge('introspect') : error;
    }
  }

  private async recall(key: string, parameters: OAuthParameters): Promise<RegisteredClient | null> {
    const entry = this.remembered.get(key);
    if (!entry) return null;
    // With the Authorization header, a client_id in the body must name the same client (else the full path refuses it).
    const bodyId = parameters.get('client_id');
    if (entry.method === 'client_secret_basic' && bodyId !== undefined && bodyId !== entry.clientId) return null;
    const client = entry.expiresAt > this.clock.now().getTime() ? await this.clients.find(entry.clientId) : null;
    if (client && client.secretHash === entry.secretHash && client.tokenEndpointAuthMethod === entry.method) return client;
    this.remembered.delete(key);
    return null;
  }

  private remember(key: string, client: RegisteredClient, method: SecretMethod): void {
    // The full check passed with this method, so the client is registered for it and has a secret hash.
    if (client.tokenEndpointAuthMethod !== method || client.secretHash === undefined) return;
    this.remembered.delete(key);
    if (this.remembered.size >= CALLER_CACHE_ENTRIES) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, { clientId: client.clientId, method, secretHash: client.secretHash, expiresAt: this.clock.now().getTime() + CALLER_CACHE_TTL_MS });
  }
}

/**
 * The cache key of a client secret presented by exactly one method (RFC 6749 §2.3.1): the SHA-256 of the
 * Authorization header, or of client_id and client_secret of the body (JSON, so that no two pairs give
 * the same text). Null for anything else (no credentials, an assertion, two methods): the full path decides.
 */
function presentedSecret(parameters: OAuthParameters, authorization: string | undefined): { key: string; method: SecretMethod } | null {
  if (parameters.has('client_assertion') || parameters.has('client_assertion_type')) return null;
  const secret = parameters.get('client_secret');
  if (authorization !== undefined) return secret === undefined ? { key: hash('sha256', `basic ${authorization}`, 'base64url'), method: 'client_secret_basic' } : null;
  const clientId = parameters.get('client_id');
  if (clientId === undefined || secret === undefined) return null;
  return { key: hash('sha256', JSON.stringify(['post', clientId, secret]), 'base64url'), method: 'client_secret_post' };
}
