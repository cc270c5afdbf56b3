import { Topics } from '../topics';
import { clientSnapshot } from './client-state';

/**
 * A client's registration changed (RFC 7592 update, or the admin CLI: new metadata, a rotated
 * secret). Carries the whole new state, so the last event of a client is enough (compaction).
 */
export const clientUpdatedV1 = {
  type: 'oauth.client.updated.v1',
  topic: Topics.clients,
  data: clientSnapshot,
} as const;
