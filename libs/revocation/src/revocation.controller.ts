import { Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticationService } from '@authz/clients';
import { authenticateClient, parseFormBody, requireParameter } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { RevocationService } from './revocation.service';

/** RFC 7009 token revocation endpoint. */
@Controller()
export class RevocationController {
  constructor(
    private readonly revocation: RevocationService,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    private readonly clientAuthentication: ClientAuthenticationService,
  ) {}

  /**
   * §2.1: the client authenticates as at the token endpoint (a public client names itself with
   * client_id); `token` is required, `token_type_hint` optional. §2.2: 200 with an empty body whether
   * or not there was anything to revoke. Errors (§2.2.1) are RFC 6749 §5.2's: invalid_request,
   * invalid_client (401 with a challenge when the Authorization header was used).
   */
  @Post('revoke')
  @HttpCode(200)
  async revoke(@Req() request: FastifyRequest, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    const { client } = await authenticateClient(parameters, authorization, (id) => this.clients.find(id), this.clientAuthentication.forSecretsOnly());
    const token = requireParameter(parameters, 'token');
    await this.revocation.revokeToken(client.clientId, token, parameters.get('token_type_hint'), request.id);
    return '';
  }
}
