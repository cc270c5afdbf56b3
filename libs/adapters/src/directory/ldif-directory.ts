import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  type AuthenticationResult,
  type Directory,
  type DirectoryDiagnosis,
  DirectoryUnavailableError,
  type DirectoryUser,
  type Logger,
  silentLogger,
} from '@authz/ports';
import { ldifValues, type LdifRecord, parseLdif } from './ldif-parser';
import { hashSaltedSha, isSaltedShaScheme, parseSaltedSha, passwordScheme, verifySaltedSha } from './ssha';

export type LdifDirectoryOptions = (
  | {
      /** The LDIF file (e.g. deploy/seed/users.ldif), read once, synchronously, at construction. */
      path: string;
    }
  | {
      /** LDIF content. */
      ldif: string;
      /** Where the content came from, for log lines. */
      source?: string;
    }
) & {
  /**
   * Accept userPassword values stored in clear (`{CLEARTEXT}secret` or a bare `secret`).
   * Default false: such values never match, and a warning at load names the entries.
   */
  allowPlaintextPasswords?: boolean;
  logger?: Logger;
};

/** Usernames longer than this are never looked up (same bound as LdapDirectory). */
const MAX_USERNAME_LENGTH = 256;

type Person = { user: DirectoryUser; passwords: readonly string[] };

/** Compared against when the user is unknown, so that an unknown user costs about what a wrong password does. */
const DUMMY_HASH = hashSaltedSha('not-a-password', 'SSHA');

/**
 * The user directory of the all-in-one mode: an LDIF file loaded into memory, with the same
 * semantics as LdapDirectory over the same data.
 *
 * - People are the entries with objectClass inetOrgPerson: subject and username from `uid` (one
 *   value), name from `displayName` (else `cn`), email from `mail`.
 * - Groups are the groupOfNames entries; a person's groups are the full DNs of those listing the
 *   person's DN in `member` (what the memberof overlay computes on a live server).
 * - Usernames match like LDAP's caseIgnoreMatch (case, outer spaces). Two people with one uid:
 *   neither is found (ambiguous), as in LdapDirectory.
 * - Passwords: `{SSHA}`, `{SSHA256}`, `{SSHA512}`; plaintext only with allowPlaintextPasswords;
 *   any other scheme never matches. An empty password is always invalid_credentials.
 */
export class LdifDirectory implements Directory {
  private readonly people = new Map<string, Person[]>();
  private readonly allowPlaintextPasswords: boolean;
  private readonly logger: Logger;
  private readonly source: string;
  private closed = false;

  /** Reads the file asynchronously (the constructor's `path` option reads it synchronously). */
  static async fromFile(path: string, options: Pick<LdifDirectoryOptions, 'allowPlaintextPasswords' | 'logger'> = {}): Promise<LdifDirectory> {
    return new LdifDirectory({ ...options, ldif: await readFile(path, 'utf8'), source: path });
  }

  constructor(options: LdifDirectoryOptions) {
    const source = 'path' in options ? options.path : (options.source ?? '(inline)');
    this.source = source;
    const text = 'path' in options ? readFileSync(options.path, 'utf8') : options.ldif;
    this.allowPlaintextPasswords = options.allowPlaintextPasswords ?? false;
    this.logger = (options.logger ?? silentLogger).child({ component: 'ldif-directory', source });
    let records: LdifRecord[];
    try {
      records = parseLdif(text);
    } catch (error) {
      throw new Error(`LDIF directory ${source}: ${(error as Error).message}`, { cause: error });
    }
    this.load(records);
    if (this.allowPlaintextPasswords) {
      this.logger.warn({}, 'plaintext userPassword values are accepted (allowPlaintextPasswords): for demos only');
    }
  }

  /** Diagnostics: the entry and its groups (direct only: an LDIF file has no nesting), "answered" by the file. */
  async diagnose(username: string): Promise<DirectoryDiagnosis | null> {
    const user = await this.findUser(username);
    return user ? { server: `ldif:${this.source}`, user, groups: user.groups.map((dn) => ({ dn, path: [dn] })) } : null;
  }

  async findUser(username: string): Promise<DirectoryUser | null> {
    this.assertOpen();
    return this.lookup(username)?.user ?? null;
  }

  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    this.assertOpen();
    // Same rule as LdapDirectory: an empty password is never a credential (RFC 4513 §5.1.2).
    if (password.length === 0) return { outcome: 'invalid_credentials' };
    const person = this.lookup(username);
    if (!person) {
      verifySaltedSha(password, DUMMY_HASH);
      return { outcome: 'invalid_credentials' };
    }
    // Every stored value is checked (no early exit), as a server's bind would try each.
    let matched = false;
    for (const stored of person.passwords) if (this.verify(password, stored)) matched = true;
    return matched ? { outcome: 'authenticated', user: person.user } : { outcome: 'invalid_credentials' };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private lookup(username: string): Person | null {
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const found = this.people.get(caseIgnore(username)) ?? [];
    if (found.length > 1) {
      this.logger.warn({ matches: found.map((person) => person.user.dn) }, 'more than one person has this uid; treated as not found');
      return null;
    }
    return found[0] ?? null;
  }

  private verify(password: string, stored: string): boolean {
    const scheme = passwordScheme(stored);
    if (isSaltedShaScheme(scheme)) return verifySaltedSha(password, stored);
    if (this.allowPlaintextPasswords && (scheme === null || scheme === 'CLEARTEXT')) {
      const clear = scheme === null ? stored : stored.slice('{CLEARTEXT}'.length);
      return timingSafeEqual(sha256(password), sha256(clear));
    }
    return false;
  }

  private load(records: LdifRecord[]): void {
    const seen = new Set<string>();
    for (const record of records) {
      const key = normalizeDn(record.dn);
      if (seen.has(key)) throw new Error(`LDIF: duplicate entry ${record.dn} (line ${record.line})`);
      seen.add(key);
    }
    const groupsByMember = new Map<string, string[]>();
    for (const record of records.filter((entry) => hasObjectClass(entry, 'groupOfNames'))) {
      for (const member of new Set(ldifValues(record, 'member').map(normalizeDn))) {
        const groups = groupsByMember.get(member) ?? [];
        groups.push(record.dn);
        groupsByMember.set(member, groups);
      }
    }
    let count = 0;
    for (const record of records.filter((entry) => hasObjectClass(entry, 'inetOrgPerson'))) {
      const uids = ldifValues(record, 'uid');
      if (uids.length !== 1) {
        this.logger.warn({ dn: record.dn, uids: uids.length }, 'inetOrgPerson without exactly one uid is skipped');
        continue;
      }
      const uid = uids[0]!;
      const name = ldifValues(record, 'displayName')[0] ?? ldifValues(record, 'cn')[0];
      const email = ldifValues(record, 'mail')[0];
      const user: DirectoryUser = {
        subject: uid,
        dn: record.dn,
        username: uid,
        ...(name !== undefined ? { name } : {}),
        ...(email !== undefined ? { email } : {}),
        groups: groupsByMember.get(normalizeDn(record.dn)) ?? [],
      };
      const passwords = ldifValues(record, 'userPassword');
      this.warnAboutPasswords(record.dn, passwords);
      const key = caseIgnore(uid);
      this.people.set(key, [...(this.people.get(key) ?? []), { user, passwords }]);
      count += 1;
    }
    this.logger.info({ people: count }, 'LDIF directory loaded');
  }

  /** Names (never shows) the stored values this directory will not accept. */
  private warnAboutPasswords(dn: string, passwords: readonly string[]): void {
    for (const stored of passwords) {
      const scheme = passwordScheme(stored);
      if (isSaltedShaScheme(scheme)) {
        if (!parseSaltedSha(stored)) this.logger.warn({ dn, scheme }, 'malformed userPassword value; it never matches');
        continue;
      }
      if (scheme === null || scheme === 'CLEARTEXT') {
        if (!this.allowPlaintextPasswords) this.logger.warn({ dn }, 'plaintext userPassword refused (set allowPlaintextPasswords to accept it)');
      } else {
        this.logger.warn({ dn, scheme }, 'unsupported userPassword scheme; it never matches ({SSHA}, {SSHA256}, {SSHA512} are supported)');
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DirectoryUnavailableError('LDIF directory is closed');
  }
}

function hasObjectClass(record: LdifRecord, objectClass: string): boolean {
  const wanted = objectClass.toLowerCase();
  return ldifValues(record, 'objectClass').some((value) => value.trim().toLowerCase() === wanted);
}

/** Approximates caseIgnoreMatch (RFC 4518): case folded, outer spaces dropped, inner runs of spaces as one. */
function caseIgnore(value: string): string {
  return value.normalize('NFKC').trim().replace(/ +/g, ' ').toLowerCase();
}

/** A DN for comparison: RDNs split at unescaped commas, spaces around separators dropped, case folded. */
function normalizeDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)\+/)
        .map((ava) => ava.trim().replace(/\s*=\s*/, '=').toLowerCase())
        .sort()
        .join('+'),
    )
    .join(',');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
