import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AuthenticationResult, type Directory, DirectoryUnavailableError, type DirectoryUser } from '@authz/ports';

/**
 * The behaviour every Directory adapter shares, over the seed data of deploy/seed/users.ldif and
 * deploy/local/ldap/seed.ldif (the same people and groups): run by ldif-directory.spec.ts and
 * ldap-directory.int-spec.ts. The factory gives a fresh directory; the contract closes it.
 */
export const SEED_BASE_DN = 'dc=example,dc=org';

export const ALICE: DirectoryUser = {
  subject: 'alice',
  dn: `uid=alice,ou=people,${SEED_BASE_DN}`,
  username: 'alice',
  name: 'Alice Anderson',
  email: 'alice@example.org',
  groups: [`cn=admins,ou=groups,${SEED_BASE_DN}`, `cn=developers,ou=groups,${SEED_BASE_DN}`],
};

export const BOB: DirectoryUser = {
  subject: 'bob',
  dn: `uid=bob,ou=people,${SEED_BASE_DN}`,
  username: 'bob',
  name: 'Bob Brown',
  email: 'bob@example.org',
  groups: [`cn=developers,ou=groups,${SEED_BASE_DN}`],
};

export const CAROL: DirectoryUser = {
  subject: 'carol',
  dn: `uid=carol,ou=people,${SEED_BASE_DN}`,
  username: 'carol',
  name: 'Carol Clark',
  email: 'carol@example.org',
  groups: [],
};

/** Filter syntax, wildcards, NUL and injection attempts: none may find or authenticate anyone. */
export const HOSTILE_USERNAMES = [
  '*',
  'a*',
  '*alice*',
  ')(',
  '(',
  ')',
  '\\00',
  '\u0000',
  'alice\u0000',
  '\\2a',
  'admin)(|(uid=*',
  'alice)(uid=*',
  'alice)(|(uid=*))',
  '*)(objectClass=*',
  'alice)(&',
];

const INVALID: AuthenticationResult = { outcome: 'invalid_credentials' };

/** Group order is the server's (memberOf value order): compare as sets. */
export function sortedGroups<T extends DirectoryUser | null>(user: T): T {
  return user === null ? user : { ...user, groups: [...user.groups].sort() };
}

function sortedResult(result: AuthenticationResult): AuthenticationResult {
  return result.outcome === 'authenticated' ? { ...result, user: sortedGroups(result.user) } : result;
}

export function describeDirectoryContract(name: string, factory: () => Promise<Directory>): void {
  describe(`Directory contract: ${name}`, () => {
    let directory: Directory;
    beforeAll(async () => {
      directory = await factory();
    });
    afterAll(async () => {
      await directory.close();
    });

    describe('authenticate', () => {
      it('authenticates alice with her password and returns her whole profile with full group DNs', async () => {
        expect(sortedResult(await directory.authenticate('alice', 'alice-password'))).toEqual({ outcome: 'authenticated', user: ALICE });
      });

      it('authenticates bob and carol (one group, no group)', async () => {
        expect(sortedResult(await directory.authenticate('bob', 'bob-password'))).toEqual({ outcome: 'authenticated', user: BOB });
        expect(await directory.authenticate('carol', 'carol-password')).toEqual({ outcome: 'authenticated', user: CAROL });
      });

      it('refuses a wrong password', async () => {
        expect(await directory.authenticate('alice', 'wrong-password')).toEqual(INVALID);
        expect(await directory.authenticate('alice', 'Alice-password')).toEqual(INVALID);
        expect(await directory.authenticate('alice', 'alice-password ')).toEqual(INVALID);
      });

      it("refuses another user's password", async () => {
        expect(await directory.authenticate('alice', 'bob-password')).toEqual(INVALID);
      });

      it('answers an unknown user exactly like a wrong password', async () => {
        expect(await directory.authenticate('mallory', 'alice-password')).toEqual(INVALID);
        expect(await directory.authenticate('nobody', 'wrong-password')).toEqual(INVALID);
      });

      it('refuses an empty password (an unauthenticated bind is never a login)', async () => {
        expect(await directory.authenticate('alice', '')).toEqual(INVALID);
        expect(await directory.authenticate('mallory', '')).toEqual(INVALID);
      });

      it('refuses an empty username', async () => {
        expect(await directory.authenticate('', 'alice-password')).toEqual(INVALID);
      });

      it('does not authenticate entries that are not people (organizational units, groups)', async () => {
        expect(await directory.authenticate('people', 'alice-password')).toEqual(INVALID);
        expect(await directory.authenticate('developers', 'alice-password')).toEqual(INVALID);
      });

      it.each(HOSTILE_USERNAMES)('never authenticates the hostile username %j', async (username) => {
        expect(await directory.authenticate(username, 'alice-password')).toEqual(INVALID);
        expect(await directory.authenticate(username, 'wrong-password')).toEqual(INVALID);
      });

      it('matches the username like LDAP caseIgnoreMatch and answers with the stored one', async () => {
        expect(sortedResult(await directory.authenticate('ALICE', 'alice-password'))).toEqual({ outcome: 'authenticated', user: ALICE });
      });
    });

    describe('findUser', () => {
      it('finds alice with her whole profile', async () => {
        expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
      });

      it('finds nobody for an unknown or empty username', async () => {
        expect(await directory.findUser('mallory')).toBeNull();
        expect(await directory.findUser('')).toBeNull();
        expect(await directory.findUser('x'.repeat(10_000))).toBeNull();
      });

      it.each(HOSTILE_USERNAMES)('finds nobody for the hostile username %j', async (username) => {
        expect(await directory.findUser(username)).toBeNull();
      });

      it('ignores case and outer spaces, like caseIgnoreMatch, but not inner characters', async () => {
        expect(sortedGroups(await directory.findUser('Alice'))).toEqual(ALICE);
        expect(sortedGroups(await directory.findUser(' alice '))).toEqual(ALICE);
        expect(await directory.findUser('al ice')).toBeNull();
        expect(await directory.findUser('alic')).toBeNull();
        expect(await directory.findUser('alicea')).toBeNull();
      });
    });

    describe('ping and close', () => {
      it('pings while open', async () => {
        await expect(directory.ping()).resolves.toBeUndefined();
      });

      it('rejects with DirectoryUnavailableError once closed', async () => {
        const other = await factory();
        await other.close();
        await expect(other.findUser('alice')).rejects.toBeInstanceOf(DirectoryUnavailableError);
        await expect(other.authenticate('alice', 'alice-password')).rejects.toBeInstanceOf(DirectoryUnavailableError);
        await expect(other.ping()).rejects.toBeInstanceOf(DirectoryUnavailableError);
        await expect(other.close()).resolves.toBeUndefined();
      });
    });
  });
}
