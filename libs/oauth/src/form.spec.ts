import { InvalidRequest, OAuthError } from './errors';
import { parameterValues, parseFormBody, requireParameter } from './form';

const FORM = 'application/x-www-form-urlencoded';

function refusal(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, error: error.error, status: error.status, headers: error.headers, body: error.toBody() };
  }
  throw new Error('expected an OAuth error');
}

function invalidRequest(description: string) {
  return { type: InvalidRequest, error: 'invalid_request', status: 400, headers: {}, body: { error: 'invalid_request', error_description: description } };
}

describe('parseFormBody (RFC 6749 §3.2, §3.1)', () => {
  it('reads each parameter of an application/x-www-form-urlencoded body', () => {
    const parameters = parseFormBody(FORM, 'grant_type=client_credentials&scope=reports+invoices%3Aread');

    expect([...parameters]).toEqual([
      ['grant_type', 'client_credentials'],
      ['scope', 'reports invoices:read'],
    ]);
  });

  it.each([
    'application/x-www-form-urlencoded; charset=UTF-8',
    'application/x-www-form-urlencoded;charset=utf-8',
    'Application/X-WWW-Form-Urlencoded',
    '  application/x-www-form-urlencoded  ',
  ])('accepts the media type written as %j (RFC 9110 §8.3.1: parameters and case do not matter)', (contentType) => {
    expect([...parseFormBody(contentType, 'grant_type=client_credentials')]).toEqual([['grant_type', 'client_credentials']]);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['JSON', 'application/json'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['plain text', 'text/plain'],
    ['a longer media type', 'application/x-www-form-urlencoded-extra'],
  ])('refuses a %s content type as invalid_request', (_case, contentType) => {
    expect(refusal(() => parseFormBody(contentType, 'grant_type=client_credentials'))).toEqual(
      invalidRequest('the request body must be application/x-www-form-urlencoded'),
    );
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an object (a body parsed by someone else)', { grant_type: 'client_credentials' }],
    ['a Buffer', Buffer.from('grant_type=client_credentials')],
  ])('refuses a body that is not a string (%s) as invalid_request', (_case, body) => {
    expect(refusal(() => parseFormBody(FORM, body))).toEqual(invalidRequest('the request body is missing'));
  });

  it.each([
    ['twice with values', 'scope=a&scope=b'],
    ['twice with the same value', 'scope=a&scope=a'],
    ['twice empty', 'scope=&scope='],
    ['once empty, once with a value', 'scope=&scope=a'],
    ['once without "=", once with a value', 'scope&scope=a'],
    ['once percent-encoded in its name', 'scope=a&%73cope=b'],
  ])('refuses a repeated parameter (%s) as invalid_request (RFC 6749 §3.1)', (_case, body) => {
    expect(refusal(() => parseFormBody(FORM, `grant_type=client_credentials&${body}`))).toEqual(invalidRequest("parameter 'scope' is included more than once"));
  });

  it('accepts resource repeated (RFC 8707 §2) and gives back every value in order', () => {
    const parameters = parseFormBody(FORM, 'grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=&resource=https%3A%2F%2Fb.example');

    expect(parameterValues(parameters, 'resource')).toEqual(['https://a.example', 'https://b.example']);
    expect(parameterValues(parameters, 'scope')).toEqual([]);
  });

  it('keeps a resource value that holds a space as one value, not two (RFC 8707 §2)', () => {
    const parameters = parseFormBody(FORM, 'resource=https%3A%2F%2Fa.example+https%3A%2F%2Fb.example&resource=https%3A%2F%2Fc.example');

    expect(parameterValues(parameters, 'resource')).toEqual(['https://a.example https://b.example', 'https://c.example']);
  });

  it.each([`${FORM}; charset=UTF-8`, `${FORM};charset=utf-8`, `${FORM}; charset=utf8`, `${FORM}; charset="utf-8"`, `${FORM.toUpperCase()}`])('accepts the content type %s', (contentType) => {
    expect([...parseFormBody(contentType, 'grant_type=client_credentials')]).toEqual([['grant_type', 'client_credentials']]);
  });

  it.each([`${FORM}; charset=latin1`, `${FORM}; charset=ISO-8859-1`, `${FORM}; charset="utf-16"`, `${FORM}; charset=`])('refuses the content type %s: the body is UTF-8 (RFC 6749 Appendix B)', (contentType) => {
    expect(refusal(() => parseFormBody(contentType, 'grant_type=client_credentials'))).toEqual(invalidRequest('the request body must be UTF-8 (RFC 6749 appendix B)'));
  });

  it('treats a parameter sent without a value as omitted (RFC 6749 §3.1)', () => {
    const parameters = parseFormBody(FORM, 'grant_type=client_credentials&scope=&client_secret');

    expect([...parameters]).toEqual([['grant_type', 'client_credentials']]);
    expect(parameters.has('scope')).toBe(false);
    expect(parameters.has('client_secret')).toBe(false);
  });

  it('decodes percent-escapes and "+" in names and values', () => {
    const parameters = parseFormBody(FORM, 'client%5Fid=billing%3Asvc&client_secret=a%2Bb+c%25d%26e%3Df&name=%C3%A9t%C3%A9');

    expect([...parameters]).toEqual([
      ['client_id', 'billing:svc'],
      ['client_secret', 'a+b c%d&e=f'],
      ['name', 'été'],
    ]);
  });

  it('keeps a broken percent-escape as written (WHATWG URLSearchParams)', () => {
    expect([...parseFormBody(FORM, 'code=%zz%4')]).toEqual([['code', '%zz%4']]);
  });

  it('reads an empty body as no parameters', () => {
    expect(parseFormBody(FORM, '').size).toBe(0);
  });
});

describe('requireParameter', () => {
  const parameters = parseFormBody(FORM, 'grant_type=client_credentials&scope=');

  it('returns the value of a present parameter', () => {
    expect(requireParameter(parameters, 'grant_type')).toBe('client_credentials');
  });

  it('refuses an absent parameter, or one sent without a value, as invalid_request', () => {
    expect(refusal(() => requireParameter(parameters, 'code'))).toEqual(invalidRequest("parameter 'code' is missing"));
    expect(refusal(() => requireParameter(parameters, 'scope'))).toEqual(invalidRequest("parameter 'scope' is missing"));
  });
});
