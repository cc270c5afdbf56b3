import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SETTINGS, type Settings } from '@authz/platform';

type Verification = { active: boolean; aud?: string | string[]; scope?: string; sub?: string; client_id?: string };

const REQUIRED_SCOPE = 'api:read';

/**
 * An example resource server (RFC 6750): it takes a bearer token, asks the suite's /verify whether it
 * is active, checks its audience and scope, and answers. Errors follow RFC 6750 §3.
 */
@Controller('api')
export class HelloController {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  @Get('hello')
  async hello(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply) {
    const realm = 'realm="demo-api"';
    const token = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(authorization ?? '')?.[1];
    // §3.1: a request without authentication information gets no error code.
    if (!authorization) return reply.status(401).header('www-authenticate', `Bearer ${realm}`).send({ error: 'unauthorized' });
    if (!token) return this.deny(reply, 400, `Bearer ${realm}, error="invalid_request"`, 'invalid_request');
    let verification: Verification;
    try {
      const response = await fetch(this.settings.INTROSPECTION_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) throw new Error(`verify answered ${response.status}`);
      verification = (await response.json()) as Verification;
    } catch {
      return reply.status(503).header('retry-after', '1').send({ error: 'temporarily_unavailable' });
    }
    const audience = Array.isArray(verification.aud) ? verification.aud : [verification.aud];
    if (!verification.active || !audience.includes(this.settings.RESOURCE_AUDIENCE)) {
      return this.deny(reply, 401, `Bearer ${realm}, error="invalid_token"`, 'invalid_token');
    }
    if (!(verification.scope ?? '').split(' ').includes(REQUIRED_SCOPE)) {
      return this.deny(reply, 403, `Bearer ${realm}, error="insufficient_scope", scope="${REQUIRED_SCOPE}"`, 'insufficient_scope');
    }
    return reply.send({ message: 'hello', sub: verification.sub, client_id: verification.client_id, scope: verification.scope });
  }

  private deny(reply: FastifyReply, status: number, challenge: string, error: string) {
    return reply.status(status).header('www-authenticate', challenge).send({ error });
  }
}
