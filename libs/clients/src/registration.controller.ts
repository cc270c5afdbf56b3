import { Controller, Delete, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientInformationResponse, InvalidClientMetadata, InvalidRequest, InvalidToken, isUtf8Charset, mediaTypeOf, validateClientMetadata } from '@authz/oauth';
import { SETTINGS, type Settings } from '@authz/platform';
import { ClientAuthenticationService } from './client-authentication.service';
import { bearerToken, ClientRegistrationService, type IssuedRegistration } from './client-registration.service';

const JSON_MEDIA_TYPE = 'application/json';
/** RFC 7592 §2.2: members a client must not send in an update (the server's own values). */
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/**
 * RFC 7591 dynamic client registration (POST /register, protected by the initial access token of
 * REGISTRATION_INITIAL_ACCESS_TOKEN) and RFC 7592 management (GET, PUT, DELETE /register/:client_id,
 * with the client's registration access token). Every answer carries Cache-Control: no-store.
 */
@Controller('register')
export class RegistrationController {
  private readonly initialAccessTokenHash: string | undefined;
  private readonly registrationBase: string;

  constructor(
    private readonly registrations: ClientRegistrationService,
    private readonly authentication: ClientAuthenticationService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    const token = settings.REGISTRATION_INITIAL_ACCESS_TOKEN;
    // Only the hash stays in memory.
    this.initialAccessTokenHash = token ? authentication.hasher.hash(token) : undefined;
    this.registrationBase = `${settings.ISSUER.replace(/\/$/, '')}/register`;
  }

  /** RFC 7591 §3.1: 201 with the client information response (§3.2.1), the secret shown this once. */
  @Post()
  @HttpCode(201)
  async register(@Req() request: FastifyRequest, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    noStore(reply);
    if (!this.initialAccessTokenHash) throw new NotFoundException();
    const token = bearerToken(authorization, 'register');
    if (!this.authentication.hasher.matches(token, this.initialAccessTokenHash)) {
      throw new InvalidToken('the initial access token is invalid', { realm: 'register', tokenPresented: true });
    }
    const metadata = validateClientMetadata(jsonBody(request));
    const issued = await this.registrations.register(metadata, { registrationAccessToken: true, correlationId: request.id });
    return this.informationResponse(issued);
  }

  /** RFC 7592 §2.1: the client's current registration (its secret is not known to the server any more). */
  @Get(':clientId')
  async read(@Param('clientId') clientId: string, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    noStore(reply);
    const { client } = await this.registrations.authorizeManagement(clientId, authorization);
    return this.informationResponse({ client });
  }

  /** RFC 7592 §2.2: replaces the metadata; the request carries the client id and every value to keep. */
  @Put(':clientId')
  async update(
    @Req() request: FastifyRequest,
    @Param('clientId') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    const record = await this.registrations.authorizeManagement(clientId, authorization);
    const body = jsonBody(request);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const members = body as Record<string, unknown>;
      if (members.client_id !== clientId) throw new InvalidClientMetadata('client_id must be the client id of the registration (RFC 7592 section 2.2)');
      const present = SERVER_MEMBERS.filter((name) => name in members);
      if (present.length > 0) throw new InvalidClientMetadata(`${present.join(', ')} must not be sent (RFC 7592 section 2.2)`);
      // RFC 7592 §2.2: a client_secret in the request must be the current one; it never sets a new one.
      if (members.client_secret !== undefined) {
        const matches = typeof members.client_secret === 'string' && !!record.client.secretHash && this.authentication.hasher.matches(members.client_secret, record.client.secretHash);
        if (!matches) throw new InvalidClientMetadata('client_secret does not match the registered secret');
      }
    }
    const metadata = validateClientMetadata(body);
    const issued = await this.registrations.update(clientId, metadata, { correlationId: request.id });
    return this.informationResponse(issued);
  }

  /** RFC 7592 §2.3: 204; the client and its registration access token stop working. */
  @Delete(':clientId')
  @HttpCode(204)
  async remove(@Req() request: FastifyRequest, @Param('clientId') clientId: string, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    noStore(reply);
    await this.registrations.authorizeManagement(clientId, authorization);
    await this.registrations.delete(clientId, { correlationId: request.id });
  }

  private informationResponse(issued: IssuedRegistration): Record<string, unknown> {
    return clientInformationResponse(issued.client, {
      ...(issued.clientSecret ? { clientSecret: issued.clientSecret } : {}),
      ...(issued.registrationAccessToken ? { registrationAccessToken: issued.registrationAccessToken } : {}),
      registrationClientUri: `${this.registrationBase}/${encodeURIComponent(issued.client.clientId)}`,
    });
  }
}

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** RFC 7591 §3.1: the request is an application/json document (Fastify has parsed it; other types arrive as text). */
function jsonBody(request: FastifyRequest): unknown {
  const mediaType = mediaTypeOf(request.headers['content-type']);
  // Any other media type reaches here as text (bootstrap's '*' parser); a JSON one as its parsed value.
  if (mediaType !== JSON_MEDIA_TYPE || request.body === undefined) {
    throw new InvalidRequest(`the request body must be ${JSON_MEDIA_TYPE}`);
  }
  // RFC 8259 §8.1: JSON between systems is UTF-8 (the bytes were decoded as such); no other charset.
  if (!isUtf8Charset(request.headers['content-type'])) throw new InvalidRequest('the request body must be UTF-8 JSON (RFC 8259 section 8.1)');
  return request.body;
}
