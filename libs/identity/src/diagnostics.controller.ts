import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, NotFoundException, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, type ScopePolicy, TemporarilyUnavailable } from '@authz/oauth';
import { CREDENTIAL_LIMITS, DIRECTORY, type Directory, DirectoryUnavailableError } from '@authz/ports';
import { loadScopePolicy, SETTINGS, type Settings } from '@authz/platform';
import { InvalidInternalToken } from './authenticate.controller';
import { diagnoseLdapUser } from './ldap-diagnostics';

export const DIAGNOSE_PATH = '/internal/v1/ldap/diagnose';

/**
 * `GET /internal/v1/ldap/diagnose?username=alice[&client_id=web-app]`, admin only: what the directory says
 * about a username (DN, groups with nesting paths, the policy's scopes, the answering server), without a bind.
 *
 * Protection: its own bearer token, LDAP_DIAGNOSTICS_TOKEN (compared in constant time), on the internal
 * path the ingress never routes. Not IDENTITY_INTERNAL_TOKEN: the authorize and token services hold that
 * one, and a compromise of either must not let it map the directory's people and groups. Unset: 404, as if
 * the endpoint did not exist.
 */
@Controller()
export class DiagnosticsController {
  private readonly expectedToken: Buffer | undefined;
  private readonly policy: ScopePolicy | undefined;

  constructor(
    @Inject(DIRECTORY) private readonly directory: Directory,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.expectedToken = settings.LDAP_DIAGNOSTICS_TOKEN !== undefined ? digest(settings.LDAP_DIAGNOSTICS_TOKEN) : undefined;
    this.policy = loadScopePolicy(settings.SCOPE_POLICY);
  }

  @Get(DIAGNOSE_PATH)
  async diagnose(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query('username') username: unknown, @Query('client_id') clientId: unknown) {
    if (this.expectedToken === undefined) throw new NotFoundException();
    reply.header('cache-control', 'no-store');
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), this.expectedToken)) throw new InvalidInternalToken('a valid diagnostics token is required');
    if (typeof username !== 'string' || username.length === 0 || username.length > CREDENTIAL_LIMITS.usernameMaxLength) {
      throw new InvalidRequest('username is missing or invalid');
    }
    if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > CREDENTIAL_LIMITS.clientIdMaxLength)) {
      throw new InvalidRequest('client_id is invalid');
    }
    try {
      return await diagnoseLdapUser(this.directory, this.policy, username, clientId);
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw new TemporarilyUnavailable('the directory is temporarily unavailable, retry later');
      throw error;
    }
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
