import type { RegisteredClient } from '@authz/oauth';

/** Registered clients. The seed-file adapter serves them now; registration (RFC 7591) comes later. */
export interface ClientRegistry {
  find(clientId: string): Promise<RegisteredClient | null>;
}
