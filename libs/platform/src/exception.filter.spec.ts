import type { ArgumentsHost } from '@nestjs/common';
import { DirectoryUnavailableError, IdentityUnavailableError, silentLogger } from '@authz/ports';
import { OAuthExceptionFilter } from './exception.filter';

/** What the filter sends for an exception: status, headers, body. */
function render(exception: unknown) {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    status: (status: number) => ((sent.status = status), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => reply }) } as unknown as ArgumentsHost;
  new OAuthExceptionFilter(silentLogger).catch(exception, host);
  return sent;
}

describe('OAuthExceptionFilter', () => {
  it.each([
    ['IdentityUnavailableError (the identity service behind a login or the password grant)', new IdentityUnavailableError('identity service unavailable: status 503')],
    ['DirectoryUnavailableError', new DirectoryUnavailableError('LDAP directory unavailable (user search): ECONNREFUSED')],
  ])('answers %s with 503 temporarily_unavailable, never a failed login or a 500', (_case, exception) => {
    expect(render(exception)).toEqual({
      status: 503,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
    });
  });
});
