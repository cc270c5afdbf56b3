/** Distinguished names (RFC 4514): escaping, parsing, and a canonical form for comparisons. No I/O. */

/**
 * A DN in a canonical form for comparisons (RFC 4514 parsing): attribute types and values lower-cased,
 * spaces around separators dropped, escapes decoded then re-escaped the same way. Two spellings of one
 * DN compare equal; `cn=admins,ou=groups,dc=a` and `cn=admins,ou=other,dc=a` never do.
 */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map(([type, value]) => `${type.trim().toLowerCase()}=${escapeDnValue(value.normalize('NFKC').trim().replace(/ +/g, ' ').toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** RFC 4514 §2.4: escapes a string for use as an attribute value in a DN. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index]!;
    const first = index === 0;
    const last = index === value.length - 1;
    if (char === '\0') out += '\\00';
    else if ('"+,;<>\\='.includes(char)) out += `\\${char}`;
    else if ((first && (char === ' ' || char === '#')) || (last && char === ' ')) out += `\\${char}`;
    else out += char;
  }
  return out;
}

/** RFC 4514 §3 parsing into RDNs of [type, value] pairs (hex `#…` values kept as written). */
export function parseDn(dn: string): Array<Array<[string, string]>> {
  const rdns: Array<Array<[string, string]>> = [];
  let rdn: Array<[string, string]> = [];
  let type = '';
  let value = '';
  let inValue = false;
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) value += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  for (let index = 0; index < dn.length; index += 1) {
    const char = dn[index]!;
    if (!inValue) {
      if (char === '=') inValue = true;
      else type += char;
      continue;
    }
    if (char === '\\') {
      const hex = dn.slice(index + 1, index + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        index += 2;
      } else {
        flushBytes();
        value += dn[index + 1] ?? '';
        index += 1;
      }
      continue;
    }
    flushBytes();
    if (char === ',' || char === ';' || char === '+') {
      rdn.push([type, value]);
      type = '';
      value = '';
      inValue = false;
      if (char !== '+') {
        rdns.push(rdn);
        rdn = [];
      }
      continue;
    }
    value += char;
  }
  flushBytes();
  if (type.length > 0 || inValue) rdn.push([type, value]);
  if (rdn.length > 0) rdns.push(rdn);
  return rdns;
}
