import type { Settings } from '@authz/platform';
import type { PartitionPolicy } from './partitioning';

/**
 * The partition retention the settings ask for (README "Audit" → "Retention"):
 * - `access_tokens` (by expires_at): dropped PARTITION_DROP_GRACE after its last token expired;
 * - `revocations` (by covers_until): the tombstones the dashboard and the token service refuse a grant by,
 *   kept at least as long as a refresh family of the grant may live (REFRESH_TOKEN_TTL), or
 *   REVOCATION_TOMBSTONE_TTL, or the grace, whichever is longest;
 * - `audit_events` (by event time): AUDIT_INDEX_RETENTION, 0 meaning forever.
 */
export function partitionPolicy(settings: Pick<Settings, 'PARTITION_PREMAKE' | 'PARTITION_DROP_GRACE' | 'REFRESH_TOKEN_TTL' | 'REVOCATION_TOMBSTONE_TTL' | 'AUDIT_INDEX_RETENTION'>): PartitionPolicy {
  return {
    premakeSeconds: settings.PARTITION_PREMAKE,
    keepAfterSeconds(table) {
      switch (table) {
        case 'access_tokens':
          return settings.PARTITION_DROP_GRACE;
        case 'revocations':
          return Math.max(settings.PARTITION_DROP_GRACE, settings.REFRESH_TOKEN_TTL, settings.REVOCATION_TOMBSTONE_TTL);
        case 'audit_events':
          return settings.AUDIT_INDEX_RETENTION === 0 ? null : settings.AUDIT_INDEX_RETENTION;
        default:
          return null;
      }
    },
  };
}
