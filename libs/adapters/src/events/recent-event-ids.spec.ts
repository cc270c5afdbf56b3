import { RecentEventIds } from './recent-event-ids';

describe('RecentEventIds', () => {
  it('forgets the least recently seen id beyond its capacity', () => {
    const ids = new RecentEventIds(2);
    ids.add('a');
    ids.add('b');
    expect(ids.has('a')).toBe(true); // refreshes a: b is now the oldest
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([true, false, true]);
    expect(ids.size).toBe(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentEventIds(0)).toThrow(RangeError);
  });
});
