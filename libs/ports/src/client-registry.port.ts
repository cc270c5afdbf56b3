import type { Envelope } from '@authz/contracts';
import type { RegisteredClient } from '@authz/oauth';

/** A client with what registration management needs besides its metadata. */
export type ClientRecord = {
  client: RegisteredClient;
  /** `seed`: from CLIENTS_FILE, read-only. `registered`: RFC 7591 registration or the admin CLI (events). */
  origin: 'seed' | 'registered';
  /** Revision of its last event (0 for a seed client). */
  revision: number;
  /** Hash of its RFC 7592 registration access token, when it has one. */
  registrationAccessTokenHash?: string;
};

/** Registered clients, as the endpoints read them (token, authorize, introspection). */
export interface ClientRegistry {
  find(clientId: string): Promise<RegisteredClient | null>;
}

/**
 * The registry behind CLIENT_REGISTRY: the seed file's clients, then those of the oauth.clients topic
 * (registered, updated, deleted events), kept in memory by every replica. Registration reads and
 * writes through it; endpoints need only `find` (ClientRegistry).
 */
export interface ManagedClientRegistry extends ClientRegistry {
  /** The client and its registration data; null when unknown or deleted. */
  findRecord(clientId: string): Promise<ClientRecord | null>;
  /** The revision of a client's last event, also after a deletion (0 when the id was never registered). */
  lastRevision(clientId: string): number;
  /** Whether the id belongs to a seed, a live or a deleted client: a client id is never issued twice. */
  isTaken(clientId: string): boolean;
  /**
   * Every live client in a deterministic order (the admin CLI's `clients list`): the seed clients in
   * CLIENTS_FILE order, then the registered ones by client_id_issued_at, then by client id.
   */
  list(): Promise<ClientRecord[]>;
  /**
   * Applies a client event this process published and the log acknowledged, before the subscription
   * delivers it (read-your-writes). Idempotent; an older revision than the one known is ignored.
   */
  applyAcknowledged(envelope: Envelope): void;
}
