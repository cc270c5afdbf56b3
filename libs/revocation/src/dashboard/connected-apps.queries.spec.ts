import { migrate, PgliteDatabase } from '@authz/adapters';
import { silentLogger } from '@authz/ports';
import { ConnectedAppsQueries } from './connected-apps.queries';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const at = (minutes: number) => new Date(NOW + minutes * 60_000);

let template: PgliteDatabase;
let db: PgliteDatabase;

beforeAll(async () => {
  template = await PgliteDatabase.create({ logger: silentLogger });
  await migrate(template, { logger: silentLogger });
}, 60_000);

afterAll(async () => {
  await template.close();
});

beforeEach(async () => {
  db = await template.clone();
});

afterEach(async () => {
  await db.close();
});

let jti = 0;
async function accessToken(grantId: string, clientId: string, subject: string, scope: string, issuedMinutes: number, expiresMinutes: number): Promise<void> {
  jti += 1;
  await db.query(
    `INSERT INTO access_tokens (jti, grant_id, grant_type, client_id, subject, scope, audience, token_hash, issued_at, expires_at, event_id)
     VALUES ($1, $2, 'authorization_code', $3, $4, $5, '{https://api.example.org}', $6, $7, $8, $9)`,
    [`jti-${jti}`, grantId, clientId, subject, scope, `sha256:${jti}`, at(issuedMinutes), at(expiresMinutes), `event-${jti}`],
  );
}

async function family(grantId: string, clientId: string, subject: string, scope: string, createdMinutes: number, expiresMinutes: number, revoked = false): Promise<void> {
  await db.query(
    `INSERT INTO refresh_families (family_id, grant_id, client_id, subject, scope, audience, generation, current_token_hash, created_at, expires_at, idle_expires_at, revoked_at)
     VALUES ($1, $2, $3, $4, $5, '{https://api.example.org}', 0, 'sha256:x', $6, $7, $7, $8)`,
    [`family-${grantId}`, grantId, clientId, subject, scope, at(createdMinutes), at(expiresMinutes), revoked ? at(-1) : null],
  );
}

describe('ConnectedAppsQueries (PGlite, the migrations’ tables)', () => {
  it('lists a user’s live grants by grant, newest use first: scopes united, first issuance, last issuance', async () => {
    // demo-web: a family, its first token and a refreshed one (narrower scope); the tokens expired, the family lives.
    await family('g-web', 'demo-web', 'alice', 'profile api:read', -120, 60 * 24);
    await accessToken('g-web', 'demo-web', 'alice', 'profile api:read', -120, -110);
    await accessToken('g-web', 'demo-web', 'alice', 'api:read', -30, -20);
    // spa: access tokens only (no refresh), one still live.
    await accessToken('g-spa', 'spa', 'alice', 'openid', -5, 5);
    // Not listed: everything expired; revoked (revoked_grants; revocations projection; a revoked family); another user's.
    await accessToken('g-old', 'demo-web', 'alice', 'profile', -600, -590);
    await family('g-old', 'demo-web', 'alice', 'profile', -600, -1);
    await accessToken('g-revoked', 'demo-web', 'alice', 'profile', -10, 5);
    await db.query(`INSERT INTO revoked_grants (grant_id, client_id, reason, revoked_at) VALUES ('g-revoked', 'demo-web', 'user_request', $1)`, [at(-1)]);
    await accessToken('g-projected', 'demo-web', 'alice', 'profile', -10, 5);
    await db.query(
      `INSERT INTO revocations (kind, id, grant_id, client_id, subject, reason, revoked_at, covers_until, event_id) VALUES ('grant', 'g-projected', 'g-projected', 'demo-web', 'alice', 'admin_request', $1, $2, 'e-1')`,
      [at(-1), at(10)],
    );
    await family('g-reused', 'demo-web', 'alice', 'profile', -10, 60, true);
    await accessToken('g-reused', 'demo-web', 'alice', 'profile', -10, 5);
    await accessToken('g-bob', 'demo-web', 'bob', 'profile', -10, 5);

    const queries = new ConnectedAppsQueries(db);
    expect(await queries.grantsOfSubject('alice', NOW)).toEqual([
      { grantId: 'g-spa', clientId: 'spa', subject: 'alice', scopes: ['openid'], grantedAt: NOW - 5 * 60_000, lastUsedAt: NOW - 5 * 60_000 },
      { grantId: 'g-web', clientId: 'demo-web', subject: 'alice', scopes: ['api:read', 'profile'], grantedAt: NOW - 120 * 60_000, lastUsedAt: NOW - 30 * 60_000 },
    ]);
    expect(await queries.grantsOfClient('demo-web', NOW)).toEqual([
      { grantId: 'g-bob', clientId: 'demo-web', subject: 'bob', scopes: ['profile'], grantedAt: NOW - 10 * 60_000, lastUsedAt: NOW - 10 * 60_000 },
      { grantId: 'g-web', clientId: 'demo-web', subject: 'alice', scopes: ['api:read', 'profile'], grantedAt: NOW - 120 * 60_000, lastUsedAt: NOW - 30 * 60_000 },
    ]);
    expect(await queries.grantOfSubject('alice', 'g-web', NOW)).toMatchObject({ grantId: 'g-web' });
    expect(await queries.grantOfSubject('bob', 'g-web', NOW)).toBeUndefined();
    expect(await queries.grantOfSubject('alice', 'g-revoked', NOW)).toBeUndefined();
    expect(await queries.grantsOfSubject('nobody', NOW)).toEqual([]);
  });

  it('uses the 0008 indexes', async () => {
    const { rows } = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE indexname IN ('access_tokens_subject_idx', 'refresh_families_subject_idx', 'refresh_families_client_idx') ORDER BY indexname`,
    );
    expect(rows).toEqual([{ indexname: 'access_tokens_subject_idx' }, { indexname: 'refresh_families_client_idx' }, { indexname: 'refresh_families_subject_idx' }]);
  });
});
