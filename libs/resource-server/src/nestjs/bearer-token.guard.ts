import { type ArgumentsHost, applyDecorators, Catch, type CanActivate, createParamDecorator, type ExceptionFilter, type ExecutionContext, Inject, Injectable, SetMetadata, UseFilters, UseGuards } from '@nestjs/common';
import type { BearerFailure } from '../bearer-response';
import type { AccessTokenClaims, Verifier } from '../verifier';

/** DI token of the Verifier the guard uses (ResourceServerModule provides it). */
export const BEARER_VERIFIER = Symbol.for('authz.resource-server.Verifier');
const SCOPES = 'authz.resource-server.scopes';
const CLAIMS = Symbol.for('authz.resource-server.claims');

/** The refusal the guard throws; BearerErrorFilter writes it as RFC 6750 §3 says. */
export class BearerTokenError extends Error {
  override readonly name = 'BearerTokenError';
  constructor(readonly failure: BearerFailure) {
    super(failure.body.error);
  }
}

type RequestWithClaims = { headers: Record<string, string | string[] | undefined>; [CLAIMS]?: { claims: AccessTokenClaims; scopes: string[] } };

/**
 * Verifies the request's bearer token (RFC 9068 JWT, revocation, the route's scopes from
 * RequireScopes). Use it through RequireScopes / RequireToken, which also install BearerErrorFilter.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  constructor(@Inject(BEARER_VERIFIER) private readonly verifier: Verifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithClaims>();
    // reflect-metadata is loaded by every NestJS application; SetMetadata wrote these.
    const scopes = (Reflect.getMetadata(SCOPES, context.getHandler()) ?? Reflect.getMetadata(SCOPES, context.getClass()) ?? []) as string[];
    const header = request.headers.authorization;
    const result = await this.verifier.verify(typeof header === 'string' ? header : undefined, { scopes });
    if (!result.ok) throw new BearerTokenError(result);
    request[CLAIMS] = { claims: result.claims, scopes: result.scopes };
    return true;
  }
}

type Reply = { status(code: number): unknown; header(name: string, value: string): unknown; send(body: unknown): unknown };

/** Writes a BearerTokenError: its status, challenge, `no-store` and JSON body (Fastify or Express). */
@Catch(BearerTokenError)
export class BearerErrorFilter implements ExceptionFilter {
  catch(exception: BearerTokenError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    const { status, headers, body } = exception.failure;
    reply.status(status);
    for (const [name, value] of Object.entries({ ...headers, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })) reply.header(name, value);
    reply.send(JSON.stringify(body));
  }
}

/** The route (or every route of the controller) needs a valid token carrying all these scopes. */
export const RequireScopes = (...scopes: string[]) => applyDecorators(SetMetadata(SCOPES, scopes), UseGuards(BearerTokenGuard), UseFilters(BearerErrorFilter));

/** The route needs a valid token, whatever its scopes. */
export const RequireToken = () => RequireScopes();

/** The verified claims in a handler: `hello(@TokenClaims() claims: AccessTokenClaims)`. */
export const TokenClaims = createParamDecorator((_data: unknown, context: ExecutionContext): AccessTokenClaims | undefined => context.switchToHttp().getRequest<RequestWithClaims>()[CLAIMS]?.claims);
