import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, ServerError, TemporarilyUnavailable } from '@authz/oauth';
import { isDependencyUnavailable, type Logger } from '@authz/ports';

/**
 * Renders every error as an RFC 6749 §5.2 body. An OAuthError keeps its code, status and headers; a
 * dependency that is down is 503 temporarily_unavailable (fail closed); framework errors (404, 413, 415)
 * become invalid_request with their 4xx status; anything else is a generic server_error, and its
 * detail goes to the log under the request's correlation id, never to the client.
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = this.toOAuthError(exception, request);
    // RFC 6749 §5.1 (and README: errors too): no-store and, for HTTP/1.0 caches, Pragma: no-cache. Set
    // here as well as in the controllers, because an error raised before a controller runs (a body over
    // the limit, JSON Fastify cannot parse, an unsupported media type) never passes through them.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    reply.status(error.status).send(error.toBody());
  }

  private toOAuthError(exception: unknown, request: FastifyRequest): OAuthError {
    if (exception instanceof OAuthError) return exception;
    if (isDependencyUnavailable(exception)) {
      this.logger.warn({ reqId: request.id, err: describeError(exception) }, 'dependency unavailable');
      return new TemporarilyUnavailable('the service is temporarily unavailable, retry later');
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return new HttpClientError(exception.getStatus(), exception.message);
    }
    const status = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own client errors: body too large, malformed JSON, unsupported media type.
      return new HttpClientError(status, (exception as Error).message);
    }
    this.logger.error({ reqId: request.id, err: describeError(exception) }, 'unhandled error');
    return new ServerError();
  }
}

class HttpClientError extends OAuthError {
  readonly error: string;
  override readonly status: number;

  constructor(status: number, message: string) {
    super(status === 404 ? 'no such endpoint' : message);
    this.status = status;
    this.error = status === 404 ? 'not_found' : 'invalid_request';
  }
}

/** An error as a log field: name, message, stack (never the request that caused it). */
export function describeError(exception: unknown): { name: string; message: string; stack?: string } {
  if (exception instanceof Error) return { name: exception.name, message: exception.message, stack: exception.stack };
  return { name: typeof exception, message: String(exception) };
}
