import { InvalidClient } from '../errors';
import { parseBasicAuthorization } from './client-authentication';

describe('parseBasicAuthorization (RFC 6749 §2.3.1, RFC 9110 §11.4)', () => {
  const encoded = Buffer.from('a%3Ab:s+cret').toString('base64');

  it.each([`Basic ${encoded}`, `Basic   ${encoded}`, `basic ${encoded}`, `  BASIC ${encoded}  `])('accepts %j (1*SP after the scheme, any case)', (header) => {
    expect(parseBasicAuthorization(header)).toEqual({ clientId: 'a:b', clientSecret: 's cret' });
  });

  it.each(['Basic', `Bearer ${encoded}`, `Basic${encoded}`, `Basic ${encoded} x`])('refuses %j with invalid_client', (header) => {
    expect(() => parseBasicAuthorization(header)).toThrow(InvalidClient);
  });
});
