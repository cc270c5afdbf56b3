import { MemoryTtlStore } from '@authz/adapters';
import { sha256Hash } from '@authz/oauth';
import { FormTokens } from '@authz/platform';

describe('FormTokens of the dashboard (one-use CSRF tokens bound to the session; shared with the login page, libs/platform)', () => {
  it('redeems a token once, for its own binding only, and stores only its hash', async () => {
    const store = new MemoryTtlStore();
    const tokens = new FormTokens(store, 60_000);
    const token = await tokens.issue('dashboard:session-a');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.get(`form:${sha256Hash(token)}`)).toBe('dashboard:session-a');
    expect(await tokens.redeem('dashboard:session-a', token)).toBe(true);
    expect(await tokens.redeem('dashboard:session-a', token)).toBe(false);

    const other = await tokens.issue('dashboard:session-a');
    // Another binding's attempt spends it: a token is tried once.
    expect(await tokens.redeem('dashboard:session-b', other)).toBe(false);
    expect(await tokens.redeem('dashboard:session-a', other)).toBe(false);
    for (const garbage of [undefined, '', 'short', 'x'.repeat(44)]) expect(await tokens.redeem('dashboard:session-a', garbage)).toBe(false);
  });
});
