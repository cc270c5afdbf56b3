import { errorDescription, InvalidClient, InvalidRequest } from './errors';

describe('error_description (RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E only)', () => {
  it.each([
    ['plain text', 'the scope parameter is malformed', 'the scope parameter is malformed'],
    ['a double quote', 'grant_type "x"', 'grant_type ?x?'],
    ['a backslash', 'a\\b', 'a?b'],
    ['control characters', 'a\nb\tc\u0000', 'a?b?c?'],
    ['non-ASCII', 'caf\u00e9 \uFFFD', 'caf? ?'],
  ])('folds %s into the allowed set', (_name, input, output) => {
    expect(errorDescription(input)).toBe(output);
    expect(new InvalidRequest(input).toBody()).toEqual({ error: 'invalid_request', error_description: output });
  });

  it('bounds the length at 200 characters', () => {
    expect(errorDescription('x'.repeat(199))).toBe('x'.repeat(199));
    expect(errorDescription('x'.repeat(200))).toBe('x'.repeat(200));
    expect(errorDescription('x'.repeat(201))).toBe(`${'x'.repeat(197)}...`);
  });
});

describe('InvalidClient', () => {
  it('answers 400 without a challenge, 401 with one', () => {
    expect(new InvalidClient('no', { challenge: false })).toMatchObject({ status: 400, headers: {} });
    expect(new InvalidClient('no', { challenge: true })).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Basic realm="token", error="invalid_client"' } });
    expect(new InvalidClient('no', { challenge: false }).withChallenge('introspect')).toMatchObject({
      status: 401,
      description: 'no',
      headers: { 'www-authenticate': 'Basic realm="introspect", error="invalid_client"' },
    });
  });
});
