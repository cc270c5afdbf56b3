import { Topics } from '../topics';
import { clientSnapshot } from './client-state';

/**
 * A client was registered (RFC 7591, or the admin CLI). Acknowledged by the log before the
 * registration is answered. Carries the whole client state, the secret and the registration access
 * token as hashes only. Subject: the client id.
 */
export const clientRegisteredV1 = {
  type: 'oauth.client.registered.v1',
  topic: Topics.clients,
  data: clientSnapshot,
} as const;
