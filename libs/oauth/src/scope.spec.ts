import { InvalidScope, OAuthError } from './errors';
import { formatScope, parseScope, resolveRequestedScope } from './scope';

function refusal(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, error: error.error, status: error.status, headers: error.headers, body: error.toBody() };
  }
  throw new Error('expected an OAuth error');
}

function invalidScope(description: string) {
  return { type: InvalidScope, error: 'invalid_scope', status: 400, headers: {}, body: { error: 'invalid_scope', error_description: description } };
}

const MALFORMED = invalidScope('the scope parameter is malformed');

describe('parseScope (RFC 6749 §3.3)', () => {
  it('splits a space-delimited list, keeping order and dropping duplicates', () => {
    expect(parseScope('reports')).toEqual(['reports']);
    expect(parseScope('b a b c a')).toEqual(['b', 'a', 'c']);
  });

  it('accepts every character of scope-token = 1*( %x21 / %x23-5B / %x5D-7E )', () => {
    const every = [0x21, ...range(0x23, 0x5b), ...range(0x5d, 0x7e)].map((code) => String.fromCharCode(code)).join('');

    expect(parseScope(every)).toEqual([every]);
    expect(parseScope('! # [ ] ~ urn:example:scope https://api.example.org/read')).toEqual(['!', '#', '[', ']', '~', 'urn:example:scope', 'https://api.example.org/read']);
  });

  it.each([
    ['the empty string', ''],
    ['a double quote (%x22)', 'a"b'],
    ['a backslash (%x5C)', 'a\\b'],
    ['DEL (%x7F)', 'a\x7fb'],
    ['a control character', 'a\x01b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['two spaces', 'a  b'],
    ['a leading space', ' a'],
    ['a trailing space', 'a '],
    ['a non-ASCII letter', 'café'],
    ['a non-breaking space', 'a\u00a0b'],
  ])('refuses %s as invalid_scope', (_case, scope) => {
    expect(refusal(() => parseScope(scope))).toEqual(MALFORMED);
  });
});

describe('formatScope', () => {
  it('joins scope tokens with single spaces', () => {
    expect(formatScope(['reports', 'invoices:read'])).toBe('reports invoices:read');
    expect(formatScope([])).toBe('');
  });

  it('round-trips with parseScope', () => {
    expect(parseScope(formatScope(['a', 'b:c', 'd/e']))).toEqual(['a', 'b:c', 'd/e']);
  });
});

describe('resolveRequestedScope (RFC 6749 §3.3)', () => {
  const allowed = ['invoices:read', 'invoices:write', 'reports'];

  it('grants the default scope when nothing was requested, as a copy', () => {
    const defaults = ['invoices:read'];
    const granted = resolveRequestedScope(undefined, allowed, defaults);

    expect(granted).toEqual(['invoices:read']);
    expect(granted).not.toBe(defaults);
  });

  it('refuses an omitted scope when the client has no default', () => {
    expect(refusal(() => resolveRequestedScope(undefined, allowed, []))).toEqual(invalidScope('no scope was requested and the client has no default scope'));
  });

  it('grants what was requested when the client may have all of it', () => {
    expect(resolveRequestedScope('reports invoices:write', allowed, [])).toEqual(['reports', 'invoices:write']);
    expect(resolveRequestedScope('invoices:read invoices:write reports', allowed, ['reports'])).toEqual(['invoices:read', 'invoices:write', 'reports']);
  });

  it('refuses, naming every scope the client may not have, once each', () => {
    expect(refusal(() => resolveRequestedScope('reports admin invoices:delete admin', allowed, ['reports']))).toEqual(
      invalidScope('the client may not request: admin invoices:delete'),
    );
  });

  it('compares scope tokens exactly (case-sensitive, no prefix matching)', () => {
    expect(refusal(() => resolveRequestedScope('Reports', allowed, []))).toEqual(invalidScope('the client may not request: Reports'));
    expect(refusal(() => resolveRequestedScope('invoices', allowed, []))).toEqual(invalidScope('the client may not request: invoices'));
  });

  it('refuses a malformed request before looking at what is allowed', () => {
    expect(refusal(() => resolveRequestedScope('reports "admin"', allowed, ['reports']))).toEqual(MALFORMED);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
