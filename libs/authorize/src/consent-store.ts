import type { Envelope, EventOf } from '@authz/contracts';
import type { SqlDatabase } from '@authz/ports';
import { consentsProjection } from '@authz/projections';

/**
 * Remembered consent: the `consents` projection of oauth.consent.granted.v1.
 *
 * Read-your-writes: the projector (revocation service) applies the events from the log, but the user's
 * very next request must already see a consent given a second ago. So, once the log has acknowledged
 * the event, the authorize service applies the same reducer statement itself. The statement is an
 * idempotent, commutative union, so the projector applying it again (or first) changes nothing.
 */
export class ConsentStore {
  constructor(private readonly db: SqlDatabase) {}

  async grantedScopes(subject: string, clientId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ scopes: string[] }>('SELECT scopes FROM consents WHERE subject = $1 AND client_id = $2', [subject, clientId]);
    return rows[0]?.scopes ?? [];
  }

  async record(event: Envelope<EventOf<'oauth.consent.granted.v1'>>): Promise<void> {
    for (const statement of consentsProjection.apply([event])) await this.db.query(statement.text, statement.values);
  }
}
