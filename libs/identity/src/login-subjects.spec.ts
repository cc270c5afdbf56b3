import { sha256Hash } from '@authz/oauth';
import { canonicalIp, ipCounterSubject, normalizeUsername, usernameHashOf } from './login-subjects';
import { growingDelaySeconds } from './login-throttle';

describe('normalizeUsername', () => {
  it.each([
    ['alice', 'alice'],
    ['ALICE', 'alice'],
    ['  Alice ', 'alice'],
    ['Alice  Anderson', 'alice anderson'],
    ['ａｌｉｃｅ', 'alice'], // fullwidth letters (NFKC)
  ])('%j → %j', (typed, normalized) => {
    expect(normalizeUsername(typed)).toBe(normalized);
  });

  it('hashes the normalized form', () => {
    expect(usernameHashOf(' ALICE ')).toBe(sha256Hash('alice'));
  });
});

describe('canonicalIp and ipCounterSubject', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:0db8:0000:0000::/64'],
    ['2001:DB8:0:0:1::', '2001:0db8:0000:0000:0001:0000:0000:0000', '2001:0db8:0000:0000::/64'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000:0000:0000:0000:0001', 'fe80:0000:0000:0000::/64'],
    ['::', '0000:0000:0000:0000:0000:0000:0000:0000', '0000:0000:0000:0000::/64'],
    ['64:ff9b::192.0.2.33', '0064:ff9b:0000:0000:0000:0000:c000:0221', '0064:ff9b:0000:0000::/64'],
  ])('%s → %s, counted as %s', (ip, canonical, counted) => {
    expect(canonicalIp(ip)).toBe(canonical);
    expect(ipCounterSubject(canonical)).toBe(counted);
  });

  it.each(['localhost', '', '1.2.3', '2001:db8::g', '203.0.113.7:443'])('%j is no IP', (text) => {
    expect(canonicalIp(text)).toBeNull();
  });
});

describe('growingDelaySeconds', () => {
  it('is 0 below the threshold, then doubles from 1 s up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 100].map((failures) => growingDelaySeconds(failures, 3, 60))).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
  });
});
