import { isLoopbackHost } from './loopback';

describe('isLoopbackHost', () => {
  it.each(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])('%s is this machine', (hostname) => {
    expect(isLoopbackHost(hostname)).toBe(true);
  });

  it.each(['identity', 'ldap.example.org', '10.0.0.1', '[::2]', '128.0.0.1', 'localhost.example.org'])('%s is not', (hostname) => {
    expect(isLoopbackHost(hostname)).toBe(false);
  });
  it('WHATWG URL brackets an IPv6 host', () => {
    expect(new URL('http://[::1]:8084/').hostname).toBe('[::1]');
  });
});
