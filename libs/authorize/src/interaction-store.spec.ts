import { MemoryTtlStore } from '@authz/adapters';
import { systemClock } from '@authz/ports';
import { type Interaction, InteractionStore } from './interaction-store';

const interaction: Interaction = {
  id: 'A'.repeat(43),
  request: { responseType: 'code', clientId: 'web', redirectUri: 'https://app/cb', redirectUriGiven: true, scopes: ['profile'], prompt: [] },
  browser: 'sha256:xyz',
  createdAt: 1,
};

describe('InteractionStore', () => {
  it('keeps an interaction under the hash of its id, until finished', async () => {
    const ttl = new MemoryTtlStore({ clock: systemClock });
    const store = new InteractionStore(ttl, 60_000);
    await store.save(interaction);
    expect(await store.find(interaction.id)).toEqual(interaction);
    expect(await ttl.get(`interaction:${interaction.id}`)).toBeNull();
    expect(await store.find('B'.repeat(43))).toBeUndefined();
    expect(await store.find('not an id')).toBeUndefined();
    await store.finish(interaction.id);
    expect(await store.find(interaction.id)).toBeUndefined();
  });

  it('accepts a form token once, and only for its own interaction', async () => {
    const store = new InteractionStore(new MemoryTtlStore({ clock: systemClock }), 60_000);
    const token = await store.issueFormToken(interaction.id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.redeemFormToken('B'.repeat(43), token)).toBe(false);
    const other = await store.issueFormToken(interaction.id);
    expect(await store.redeemFormToken(interaction.id, other)).toBe(true);
    expect(await store.redeemFormToken(interaction.id, other)).toBe(false);
    expect(await store.redeemFormToken(interaction.id, undefined)).toBe(false);
    expect(await store.redeemFormToken(interaction.id, 'x')).toBe(false);
  });
});
