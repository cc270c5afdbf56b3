import { Inject, Injectable } from '@nestjs/common';
import type { ClientState, DomainEvent, EventOf } from '@authz/contracts';
import { checkSelfServiceUpdate, type ClientMetadata, generateClientSecret, InvalidBearerRequest, InvalidToken, randomBase64url, type RegisteredClient, responseTypesOf, UNMATCHABLE_HASH } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRecord, CLOCK, type Clock, EVENT_PUBLISHER, type EventPublisher, type ManagedClientRegistry } from '@authz/ports';
import { ClientAuthenticationService } from './client-authentication.service';

/** A registration as answered: the client and the credentials issued by this call (shown once). */
export type IssuedRegistration = { client: RegisteredClient; clientSecret?: string; registrationAccessToken?: string };

/** A management command the registry refuses (unknown client, a seed client, a taken id): the CLI prints it. */
export class ClientRegistrationError extends Error {
  override readonly name = 'ClientRegistrationError';
}

/** Client ids the admin CLI may choose; generated ids are 128 random bits, base64url. */
const CHOSEN_CLIENT_ID = /^[A-Za-z0-9._~-]{1,64}$/;
type Meta = { correlationId?: string };

/**
 * Registers, updates and deletes clients (RFC 7591, RFC 7592, the admin CLI) as events: decide the
 * event from the registry's current state, publish it (resolves on the log's acknowledgement), apply
 * it to this replica's registry (read-your-writes), then answer. Secrets and registration access
 * tokens are generated here (256 bits), returned once, and only their keyed hashes are kept.
 */
@Injectable()
export class ClientRegistrationService {
  constructor(
    @Inject(CLIENT_REGISTRY) private readonly registry: ManagedClientRegistry,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly authentication: ClientAuthenticationService,
  ) {}

  /**
   * A new client. `clientId` only from the admin CLI (else 128 random bits); `registrationAccessToken`:
   * issue an RFC 7592 registration access token (dynamic registration does, the CLI does not).
   */
  async register(metadata: ClientMetadata, options: { clientId?: string; registrationAccessToken: boolean } & Meta): Promise<IssuedRegistration> {
    const clientId = options.clientId ?? randomBase64url(16);
    if (!CHOSEN_CLIENT_ID.test(clientId)) throw new ClientRegistrationError('a client id is 1 to 64 of A-Z a-z 0-9 . _ ~ -');
    // A seed id, a live or a deleted client's id is never issued again.
    if (this.registry.isTaken(clientId)) throw new ClientRegistrationError(`client id ${clientId} is already taken`);
    const clientSecret = needsSecret(metadata) ? generateClientSecret() : undefined;
    const registrationAccessToken = options.registrationAccessToken ? generateClientSecret() : undefined;
    const client: RegisteredClient = {
      clientId,
      clientIdIssuedAt: this.nowSeconds(),
      ...metadata,
      ...(clientSecret ? { secretHash: this.authentication.hasher.hash(clientSecret) } : {}),
    };
    await this.publish(
      {
        type: 'oauth.client.registered.v1',
        subject: clientId,
        data: snapshot(client, 1, registrationAccessToken ? this.authentication.hasher.hash(registrationAccessToken) : undefined),
      },
      options,
    );
    return { client, ...(clientSecret ? { clientSecret } : {}), ...(registrationAccessToken ? { registrationAccessToken } : {}) };
  }

  /**
   * Replaces a client's metadata (RFC 7592 §2.2). The secret stays, unless the new authentication
   * method needs one and the client has none (then one is issued and returned) or needs none (dropped).
   */
  async update(clientId: string, metadata: ClientMetadata, meta: Meta = {}): Promise<IssuedRegistration> {
    const record = await this.registeredRecord(clientId);
    // The client itself asks (its registration access token): it may narrow, never widen (RFC 7592 §2.2).
    checkSelfServiceUpdate(record.client, metadata);
    const clientSecret = needsSecret(metadata) && !record.client.secretHash ? generateClientSecret() : undefined;
    const secretHash = needsSecret(metadata) ? (clientSecret ? this.authentication.hasher.hash(clientSecret) : record.client.secretHash) : undefined;
    const client: RegisteredClient = {
      clientId,
      ...(record.client.clientIdIssuedAt !== undefined ? { clientIdIssuedAt: record.client.clientIdIssuedAt } : {}),
      ...metadata,
      ...(secretHash ? { secretHash } : {}),
    };
    await this.publish({ type: 'oauth.client.updated.v1', subject: clientId, data: snapshot(client, record.revision + 1, record.registrationAccessTokenHash) }, meta);
    return { client, ...(clientSecret ? { clientSecret } : {}) };
  }

  /** A new secret for a confidential client (admin CLI); the old one stops working at once. */
  async rotateSecret(clientId: string, meta: Meta = {}): Promise<IssuedRegistration> {
    const record = await this.registeredRecord(clientId);
    if (!needsSecret(record.client)) throw new ClientRegistrationError(`client ${clientId} authenticates with ${record.client.tokenEndpointAuthMethod}: it has no secret`);
    const clientSecret = generateClientSecret();
    const client: RegisteredClient = { ...record.client, secretHash: this.authentication.hasher.hash(clientSecret) };
    await this.publish({ type: 'oauth.client.updated.v1', subject: clientId, data: snapshot(client, record.revision + 1, record.registrationAccessTokenHash) }, meta);
    return { client, clientSecret };
  }

  /** Deletes a client (RFC 7592 §2.3): its credentials stop working on every replica as the event arrives. */
  async delete(clientId: string, meta: Meta = {}): Promise<void> {
    const record = await this.registeredRecord(clientId);
    await this.publish({ type: 'oauth.client.deleted.v1', subject: clientId, data: { clientId, revision: record.revision + 1, deletedAt: this.nowSeconds() } }, meta);
  }

  /**
   * RFC 7592 §3: the bearer token of a management request must be this client's registration access
   * token. An unknown or deleted client, a client without one and a wrong token get the same 401
   * invalid_token (RFC 7592 §2.1: "If the client does not exist on this server, … 401").
   */
  async authorizeManagement(clientId: string, authorization: string | undefined): Promise<ClientRecord> {
    const token = bearerToken(authorization, 'register');
    const record = await this.registry.findRecord(clientId);
    const matches = this.authentication.hasher.matches(token, record?.registrationAccessTokenHash ?? UNMATCHABLE_HASH);
    if (!record || record.origin !== 'registered' || !record.registrationAccessTokenHash || !matches) {
      throw new InvalidToken('the registration access token is invalid', { realm: 'register', tokenPresented: true });
    }
    return record;
  }

  list(): Promise<ClientRecord[]> {
    return this.registry.list();
  }

  find(clientId: string): Promise<ClientRecord | null> {
    return this.registry.findRecord(clientId);
  }

  private async registeredRecord(clientId: string): Promise<ClientRecord> {
    const record = await this.registry.findRecord(clientId);
    if (!record) throw new ClientRegistrationError(`no client ${clientId}`);
    if (record.origin === 'seed') throw new ClientRegistrationError(`client ${clientId} comes from the seed file (CLIENTS_FILE): change it there`);
    return record;
  }

  private async publish(event: DomainEvent, meta: Meta): Promise<void> {
    const envelope = await this.publisher.publish(event, meta.correlationId ? { correlationId: meta.correlationId } : {});
    this.registry.applyAcknowledged(envelope);
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/** client_secret_basic and client_secret_post authenticate with a secret; private_key_jwt and none do not. */
function needsSecret(client: Pick<RegisteredClient, 'tokenEndpointAuthMethod'>): boolean {
  return client.tokenEndpointAuthMethod === 'client_secret_basic' || client.tokenEndpointAuthMethod === 'client_secret_post';
}

/** The event payload of a client: its whole state, hashes only. */
function snapshot(client: RegisteredClient, revision: number, registrationAccessTokenHash: string | undefined): EventOf<'oauth.client.registered.v1'>['data'] {
  const { clientId, clientIdIssuedAt, ...rest } = client;
  // The jwks were validated against the event's key schema on the way in (validateClientMetadata);
  // createEnvelope validates the whole payload again before anything is published.
  const state = { ...rest, responseTypes: responseTypesOf(client) } as ClientState;
  return {
    clientId,
    revision,
    clientIdIssuedAt: clientIdIssuedAt ?? 0,
    ...(registrationAccessTokenHash ? { registrationAccessTokenHash } : {}),
    client: state,
  };
}

/**
 * The token of an `Authorization: Bearer` header (RFC 6750 §2.1: "Bearer" 1*SP b64token). RFC 6750 §3.1:
 * no authentication information (no or an empty header): 401 with a bare challenge, no error code; a
 * malformed request (a header that is not `Bearer <token>`): 400 invalid_request.
 */
export function bearerToken(authorization: string | undefined, realm: string): string {
  if (authorization === undefined || authorization.trim() === '') throw new InvalidToken('a Bearer token is required', { realm, tokenPresented: false });
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
  if (!match) throw new InvalidBearerRequest('malformed Bearer credentials', { realm });
  return match[1]!;
}
