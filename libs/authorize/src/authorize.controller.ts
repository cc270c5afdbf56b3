import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, mediaTypeOf, parseFormBody, type RawParameters } from '@authz/oauth';
import { type BrowserCookieNames, browserCookieNames, parseCookies, SETTINGS, type Settings } from '@authz/platform';
import { AuthorizationFlow, type BrowserContext, type FlowResult } from './authorization-flow';
import { Pages } from './pages';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The authorization endpoint (RFC 6749 §3.1: GET and POST) and its pages. Thin: it turns HTTP into
 * the flow's inputs (parameters, cookies, client IP) and the flow's results into HTTP (a page with
 * its security headers, or a redirect, and cookies).
 */
@Controller('authorize')
export class AuthorizeController {
  private readonly cookies: BrowserCookieNames;

  constructor(
    private readonly flow: AuthorizationFlow,
    private readonly pages: Pages,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    // Secure cookies (and the __Host- prefix) whenever the issuer is https; plain http only on loopback development.
    this.cookies = browserCookieNames(settings.ISSUER);
  }

  @Get()
  async authorizeGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    await this.send(reply, await this.flow.authorize([...new URLSearchParams(query)], this.context(request)));
  }

  @Post()
  async authorizePost(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (mediaTypeOf(request.headers['content-type']) !== FORM || typeof request.body !== 'string') {
      return this.send(reply, this.flow.errorPage(400, 'The sign-in request is invalid', `The request body must be ${FORM}.`));
    }
    const parameters: RawParameters = [...new URLSearchParams(request.body)];
    await this.send(reply, await this.flow.authorize(parameters, this.context(request), 'POST'));
  }

  @Get('resume')
  async resume(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.send(reply, await this.flow.resume(this.queryValue(request, 'request'), this.context(request)));
  }

  /** The dashboard's sign-in: establishes the session, then back to a fixed account path (see AuthorizationFlow.signIn). */
  @Get('signin')
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.send(reply, await this.flow.signIn(this.queryValue(request, 'return_to'), this.context(request)));
  }

  @Get('login')
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.send(reply, await this.flow.showLogin(this.interactionOf(request), this.context(request)));
  }

  @Post('login')
  async submitLogin(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = this.form(request);
    if (!form) return this.send(reply, this.flow.errorPage(400, 'The form is invalid', 'The form could not be read. Return to the application and start again.'));
    await this.send(reply, await this.flow.submitLogin(form, this.context(request)));
  }

  @Get('consent')
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.send(reply, await this.flow.showConsent(this.interactionOf(request), this.context(request)));
  }

  @Post('consent')
  async submitConsent(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = this.form(request);
    if (!form) return this.send(reply, this.flow.errorPage(400, 'The form is invalid', 'The form could not be read. Return to the application and start again.'));
    await this.send(reply, await this.flow.submitConsent(form, this.context(request)));
  }

  @Get('assets/authorize.css')
  css(@Res() reply: FastifyReply) {
    void reply.status(200).header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(this.pages.css);
  }

  private context(request: FastifyRequest): BrowserContext {
    const cookies = parseCookies(request.headers.cookie);
    return {
      sessionCookie: cookies.get(this.cookies.session),
      browserCookie: cookies.get(this.cookies.browser),
      clientIp: request.ip,
      correlationId: request.id,
    };
  }

  private interactionOf(request: FastifyRequest): string | undefined {
    return this.queryValue(request, 'interaction');
  }

  private queryValue(request: FastifyRequest, name: string): string | undefined {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const values = new URLSearchParams(query).getAll(name);
    return values.length === 1 ? values[0] : undefined;
  }

  /** A login or consent form: form-encoded, each field once (a repeated field is a forged form). */
  private form(request: FastifyRequest): ReadonlyMap<string, string> | undefined {
    try {
      return parseFormBody(request.headers['content-type'], request.body);
    } catch (error) {
      if (error instanceof InvalidRequest) return undefined;
      throw error;
    }
  }

  private async send(reply: FastifyReply, result: FlowResult): Promise<void> {
    const cookies: string[] = [];
    const attributes = `Path=/; HttpOnly; SameSite=Lax${this.cookies.secure ? '; Secure' : ''}`;
    if (result.session) cookies.push(`${this.cookies.session}=${result.session}; Max-Age=${this.settings.SESSION_TTL}; ${attributes}`);
    if (result.browser) cookies.push(`${this.cookies.browser}=${result.browser}; ${attributes}`);
    if (cookies.length > 0) reply.header('set-cookie', cookies);
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('referrer-policy', 'no-referrer');
    if (result.retryAfter !== undefined) reply.header('retry-after', String(result.retryAfter));
    if (result.location !== undefined) {
      void reply.status(result.status).header('location', result.location).send();
      return;
    }
    // The pages run no script; forms post only to us (and may be redirected to the client); never framed.
    const formAction = ["'self'", ...(result.redirectTarget ? [result.redirectTarget] : [])].join(' ');
    void reply
      .status(result.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`)
      .header('x-frame-options', 'DENY')
      .send(result.html ?? '');
  }
}
