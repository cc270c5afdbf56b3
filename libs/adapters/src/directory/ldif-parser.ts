/**
 * A parser for LDIF content records (RFC 2849): what `slapcat` writes and `ldapadd` reads.
 *
 * Supported: `version: 1`; `#` comments; records separated by blank lines; folded lines (a line
 * starting with one space continues the previous one, comments included); `attr: value`,
 * `attr:: base64` (decoded as UTF-8) and `attr:` (empty value); attribute options (`cn;lang-en`);
 * multiple values; `changetype: add`. Refused with LdifSyntaxError: `attr:< URL` values, other
 * change types, lines without a colon, a record without a leading `dn:`.
 */
export type LdifRecord = {
  dn: string;
  /** Values by attribute description, the key lower-cased (LDAP attribute names are case-insensitive). */
  attributes: ReadonlyMap<string, readonly string[]>;
  /** 1-based line of the record's `dn:` line, for messages. */
  line: number;
};

export class LdifSyntaxError extends Error {
  override readonly name = 'LdifSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`LDIF line ${line}: ${message}`);
  }
}

type LogicalLine = { text: string; line: number };

export function parseLdif(text: string): LdifRecord[] {
  const records: LdifRecord[] = [];
  let current: LogicalLine[] = [];
  let first = true;
  const flush = () => {
    const record = current.length > 0 ? parseRecord(current, first) : null;
    if (current.length > 0) first = false;
    if (record) records.push(record);
    current = [];
  };
  for (const logical of unfold(text)) {
    if (logical.text === '') flush();
    else if (!logical.text.startsWith('#')) current.push(logical);
  }
  flush();
  return records;
}

/** Values of one attribute of a record (case-insensitive name; `[]` when absent). */
export function ldifValues(record: LdifRecord, attribute: string): readonly string[] {
  return record.attributes.get(attribute.toLowerCase()) ?? [];
}

/** Joins folded lines: the physical lines become logical lines, each with the number of its first physical line. */
function unfold(text: string): LogicalLine[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const logical: LogicalLine[] = [];
  physical.forEach((raw, index) => {
    const last = logical[logical.length - 1];
    if (raw.startsWith(' ')) {
      if (!last || last.text === '') throw new LdifSyntaxError('continuation line without a line to continue', index + 1);
      last.text += raw.slice(1);
    } else {
      logical.push({ text: raw, line: index + 1 });
    }
  });
  return logical;
}

function parseRecord(lines: LogicalLine[], first: boolean): LdifRecord | null {
  let rest = lines;
  // `version: 1` may stand alone before the first record, or head the first record's lines.
  if (first && /^version:/i.test(rest[0]!.text)) {
    const version = parseLine(rest[0]!);
    if (version.value.trim() !== '1') throw new LdifSyntaxError(`unsupported LDIF version ${version.value}`, rest[0]!.line);
    rest = rest.slice(1);
    if (rest.length === 0) return null;
  }
  const [head, ...body] = rest;
  const dnLine = parseLine(head!);
  if (dnLine.attribute.toLowerCase() !== 'dn') throw new LdifSyntaxError(`a record must start with dn:, got ${dnLine.attribute}:`, head!.line);
  const attributes = new Map<string, string[]>();
  body.forEach((logical, index) => {
    const { attribute, value } = parseLine(logical);
    const key = attribute.toLowerCase();
    if (index === 0 && key === 'changetype') {
      if (value.trim().toLowerCase() !== 'add') throw new LdifSyntaxError(`only content records or changetype: add are supported, got changetype: ${value}`, logical.line);
      return;
    }
    if (key === 'dn') throw new LdifSyntaxError('a second dn: in one record (missing blank line?)', logical.line);
    const list = attributes.get(key);
    if (list) list.push(value);
    else attributes.set(key, [value]);
  });
  return { dn: dnLine.value, attributes, line: head!.line };
}

function parseLine({ text, line }: LogicalLine): { attribute: string; value: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new LdifSyntaxError('expected "attribute: value"', line);
  const attribute = text.slice(0, colon);
  if (!/^[A-Za-z0-9][A-Za-z0-9.;-]*$/.test(attribute)) throw new LdifSyntaxError(`invalid attribute description "${attribute}"`, line);
  const after = text.slice(colon + 1);
  if (after.startsWith(':')) {
    const encoded = after.slice(1).trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw new LdifSyntaxError(`invalid base64 value of ${attribute}`, line);
    return { attribute, value: Buffer.from(encoded, 'base64').toString('utf8') };
  }
  if (after.startsWith('<')) throw new LdifSyntaxError(`URL values (${attribute}:<) are not supported`, line);
  // SAFE-STRING: the spaces after the colon are separators, not part of the value.
  return { attribute, value: after.replace(/^ +/, '') };
}
