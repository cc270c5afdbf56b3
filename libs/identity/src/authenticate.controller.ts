import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, TemporarilyUnavailable } from '@authz/oauth';
import { IdentityUnavailableError } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { AUTHENTICATE_PATH, parseAuthenticateRequest, verdictBody } from './authenticate-request';
import { IdentityService } from './identity.service';

/** RFC 6750 §3.1 style refusal of the internal API's shared secret. */
export class InvalidInternalToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  override readonly headers = { 'www-authenticate': 'Bearer realm="identity", error="invalid_token"' };
}

/**
 * The identity service's internal API for the login page (authorize) and the password grant (token):
 * a synchronous call, never Kafka (a password must not sit in a log). Cluster-internal: the ingress
 * never routes /internal/*, and callers prove themselves with IDENTITY_INTERNAL_TOKEN. The body is never
 * logged (it holds a password); error descriptions never echo it.
 */
@Controller()
export class AuthenticateController {
  private readonly expectedToken: Buffer | undefined;

  constructor(
    private readonly identity: IdentityService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.expectedToken = settings.IDENTITY_INTERNAL_TOKEN !== undefined ? digest(settings.IDENTITY_INTERNAL_TOKEN) : undefined;
  }

  @Post(AUTHENTICATE_PATH)
  @HttpCode(200)
  async authenticate(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    this.authorizeCaller(request.headers.authorization);
    const check = parseAuthenticateRequest(request.headers['content-type'], request.body);
    try {
      return verdictBody(await this.identity.verify(check, { correlationId: request.id }));
    } catch (error) {
      if (error instanceof IdentityUnavailableError) throw new TemporarilyUnavailable('the identity service is temporarily unavailable, retry later');
      throw error;
    }
  }

  /** Constant-time comparison (of SHA-256 digests, so lengths never differ). */
  private authorizeCaller(authorization: string | undefined): void {
    if (this.expectedToken === undefined) return;
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), this.expectedToken)) {
      throw new InvalidInternalToken('a valid internal token is required');
    }
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
