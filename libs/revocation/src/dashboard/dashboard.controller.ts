import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, normalizeDn, parseFormBody, sha256Hash } from '@authz/oauth';
import { type ClientRegistry, type Clock, isDependencyUnavailable, type Logger } from '@authz/ports';
import { type BrowserCookieNames, describeError, FormTokens, parseCookies, type Session, type SessionCodec } from '@authz/platform';
import type { ConnectedAppsQueries, ConnectedGrant } from './connected-apps.queries';
import { type AdminSearch, DASHBOARD_CSS, type DashboardPages, type DashboardPaths, type ListedGrant } from './dashboard.pages';
import { GRANT_REVOKER, type GrantRevoker } from './grant-revoker';

/** Everything the dashboard's controller needs, made once by DashboardModule. */
export class DashboardContext {
  constructor(
    readonly deps: {
      sessions: SessionCodec;
      cookies: BrowserCookieNames;
      formTokens: FormTokens;
      queries: ConnectedAppsQueries;
      clients: ClientRegistry;
      pages: DashboardPages;
      paths: DashboardPaths;
      clock: Clock;
      logger: Logger;
      /** The normalized admin group DN (normalizeDn(ADMIN_GROUP_DN)). */
      adminGroup: string;
      /** `<AUTHORIZE_URL>/authorize/signin` (default: the issuer's). */
      signInUrl: string;
    },
  ) {}
}

type Page = { status: number; html?: string; location?: string; retryAfter?: number };

/** A search value, or an id from a form: at most this many characters. */
const MAX_VALUE = 256;

/**
 * The connected-apps dashboard (issue 5): the signed-in user's grants with "Revoke access", and for
 * members of the admin group (ADMIN_GROUP_DN) a search by user or client, revoke one grant or every
 * grant of a client. The session is the login page's cookie (authorize); without one the browser is
 * sent to GET /authorize/signin, which returns to a fixed path here. Forms are POSTs with one-use
 * tokens bound to the session (CSRF); pages run no script and are never cached or framed. Every
 * revocation goes through the GrantRevoker (one event, acknowledged by Kafka, applied everywhere).
 */
@Controller('account')
export class DashboardController {
  private readonly deps: DashboardContext['deps'];

  constructor(
    context: DashboardContext,
    @Inject(GRANT_REVOKER) private readonly revoker: GrantRevoker,
  ) {
    this.deps = context.deps;
  }

  @Get()
  root(@Res() reply: FastifyReply) {
    this.send(reply, { status: 303, location: this.deps.paths.apps });
  }

  @Get('apps')
  async apps(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guarded(request, reply, '/account/apps', false, async (session, binding) => {
      const grants = await this.listed(await this.deps.queries.grantsOfSubject(session.user.subject, this.nowMs()));
      const revoked = await this.clientNameOf(queryValue(request, 'revoked'));
      return {
        status: 200,
        html: this.deps.pages.apps({
          username: session.user.username,
          grants,
          // A form token only for a page with forms (every issued token is a Redis key until it expires).
          formToken: grants.length > 0 ? await this.deps.formTokens.issue(binding) : '',
          isAdmin: this.isAdmin(session),
          ...(revoked ? { notice: `Access for ${revoked} was revoked.` } : {}),
        }),
      };
    });
  }

  @Post('apps/revoke')
  async revoke(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guardedForm(request, reply, '/account/apps', false, async (session, form) => {
      const grant = await this.deps.queries.grantOfSubject(session.user.subject, form.get('grant_id') ?? '', this.nowMs());
      // Another user's grant, an unknown one or one revoked already: nothing to do here.
      if (!grant) return this.errorPage(404, 'This access was not found', 'The app no longer has access to your account, or never had.', this.appsLink());
      await this.revoker.revokeGrant({ grantId: grant.grantId, clientId: grant.clientId, subject: grant.subject, reason: 'user_request' }, request.id);
      return { status: 303, location: `${this.deps.paths.apps}?${new URLSearchParams({ revoked: grant.clientId })}` };
    });
  }

  @Get('admin')
  async admin(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guarded(request, reply, '/account/admin', true, async (session, binding) => {
      const search = searchOf(request);
      if (search === 'invalid') return this.errorPage(400, 'The search is invalid', 'Search by a user or by a client id, one at a time, of at most 256 characters.', this.adminLink());
      const found = await this.search(search);
      const revokedAll = queryValue(request, 'revoked_all');
      return {
        status: 200,
        html: this.deps.pages.admin({
          username: session.user.username,
          search,
          grants: found,
          formToken: found !== undefined && found.length > 0 ? await this.deps.formTokens.issue(binding) : '',
          ...(queryValue(request, 'revoked') === '1' ? { notice: 'The grant was revoked.' } : {}),
          ...(revokedAll !== undefined && /^\d{1,6}$/.test(revokedAll) ? { notice: `${revokedAll} grant${revokedAll === '1' ? ' was' : 's were'} revoked.` } : {}),
        }),
      };
    });
  }

  @Post('admin/revoke')
  async adminRevoke(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guardedForm(request, reply, '/account/admin', true, async (_session, form) => {
      const clientId = form.get('client_id') ?? '';
      const grant = clientId.length <= MAX_VALUE ? (await this.deps.queries.grantsOfClient(clientId, this.nowMs())).find((candidate) => candidate.grantId === form.get('grant_id')) : undefined;
      if (!grant) return this.errorPage(404, 'This grant was not found', 'The grant is no longer live (revoked or expired), or never was.', this.adminLink());
      await this.revoker.revokeGrant({ grantId: grant.grantId, clientId: grant.clientId, subject: grant.subject, reason: 'admin_request' }, request.id);
      const back: Record<string, string> = form.get('user') !== undefined ? { user: form.get('user')! } : { client: grant.clientId };
      return { status: 303, location: `${this.deps.paths.admin}?${new URLSearchParams({ ...back, revoked: '1' })}` };
    });
  }

  /** The confirmation step of "revoke every grant of a client". */
  @Get('admin/revoke-client')
  async confirmRevokeClient(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guarded(request, reply, '/account/admin', true, async (_session, binding) => {
      const clientId = queryValue(request, 'client');
      if (clientId === undefined || clientId === '' || clientId.length > MAX_VALUE) return this.errorPage(400, 'The request is invalid', 'Name one client id.', this.adminLink());
      const grants = await this.deps.queries.grantsOfClient(clientId, this.nowMs());
      const clientName = (await this.clientNameOf(clientId)) ?? clientId;
      return { status: 200, html: this.deps.pages.confirmRevokeClient({ clientId, clientName, count: grants.length, formToken: await this.deps.formTokens.issue(binding) }) };
    });
  }

  @Post('admin/revoke-client')
  async revokeClient(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.guardedForm(request, reply, '/account/admin', true, async (_session, form) => {
      const clientId = form.get('client_id') ?? '';
      if (clientId === '' || clientId.length > MAX_VALUE) return this.errorPage(400, 'The request is invalid', 'Name one client id.', this.adminLink());
      const grants = await this.deps.queries.grantsOfClient(clientId, this.nowMs());
      // One event per grant, each acknowledged before the next: a failure part-way leaves the rest
      // live and answers 503; sending the form again revokes what is left.
      for (const grant of grants) {
        await this.revoker.revokeGrant({ grantId: grant.grantId, clientId: grant.clientId, subject: grant.subject, reason: 'admin_request' }, request.id);
      }
      return { status: 303, location: `${this.deps.paths.admin}?${new URLSearchParams({ client: clientId, revoked_all: String(grants.length) })}` };
    });
  }

  @Get('assets/dashboard.css')
  css(@Res() reply: FastifyReply) {
    void reply.status(200).header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(DASHBOARD_CSS);
  }

  /** A page for a signed-in user (and, for `admin`, a member of the admin group); `binding` ties its form tokens to the session. */
  private async guarded(
    request: FastifyRequest,
    reply: FastifyReply,
    returnTo: string,
    admin: boolean,
    work: (session: Session, binding: string) => Promise<Page>,
  ): Promise<void> {
    this.send(reply, await this.withSession(request, returnTo, admin, work));
  }

  /** A POSTed form: signed in, the right group, a one-use token issued for this session (CSRF, replay). */
  private async guardedForm(
    request: FastifyRequest,
    reply: FastifyReply,
    returnTo: string,
    admin: boolean,
    work: (session: Session, form: ReadonlyMap<string, string>) => Promise<Page>,
  ): Promise<void> {
    this.send(
      reply,
      await this.withSession(request, returnTo, admin, async (session, binding) => {
        const form = formOf(request);
        if (!form) return this.errorPage(400, 'The form is invalid', 'The form could not be read.', this.backLink(returnTo));
        if (!(await this.deps.formTokens.redeem(binding, form.get('form_token')))) {
          return this.errorPage(400, 'This form has expired', 'This form was already sent or has expired. Open the page again and retry.', this.backLink(returnTo));
        }
        return work(session, form);
      }),
    );
  }

  private async withSession(request: FastifyRequest, returnTo: string, admin: boolean, work: (session: Session, binding: string) => Promise<Page>): Promise<Page> {
    try {
      const cookie = parseCookies(request.headers.cookie).get(this.deps.cookies.session);
      const session = await this.deps.sessions.openSession(cookie, Math.floor(this.nowMs() / 1000));
      if (!session) return { status: 303, location: `${this.deps.signInUrl}?${new URLSearchParams({ return_to: returnTo })}` };
      if (admin && !this.isAdmin(session)) {
        return this.errorPage(403, 'Not allowed', 'This page is for administrators only.', this.appsLink());
      }
      // Form tokens are bound to this very session cookie (another session, or another user, cannot use them).
      return await work(session, `dashboard:${sha256Hash(cookie!)}`);
    } catch (error) {
      if (isDependencyUnavailable(error)) {
        this.deps.logger.warn({ reqId: request.id, err: String(error) }, 'dependency unavailable on the dashboard');
        return { ...this.errorPage(503, 'Temporarily unavailable', 'The service is temporarily unavailable. Please try again in a moment.', this.backLink(returnTo)), retryAfter: 5 };
      }
      this.deps.logger.error({ reqId: request.id, err: describeError(error) }, 'unhandled error on the dashboard');
      return this.errorPage(500, 'Something went wrong', `The request failed unexpectedly. Reference: ${request.id}`, this.backLink(returnTo));
    }
  }

  /** Admin: the session's groups hold the configured group's full DN (never matched by its first RDN alone). */
  private isAdmin(session: Session): boolean {
    return session.groups.some((group) => normalizeDn(group) === this.deps.adminGroup);
  }

  private async search(search: AdminSearch): Promise<ListedGrant[] | undefined> {
    if (search.user !== undefined) return this.listed(await this.deps.queries.grantsOfSubject(search.user, this.nowMs()));
    if (search.client !== undefined) return this.listed(await this.deps.queries.grantsOfClient(search.client, this.nowMs()));
    return undefined;
  }

  private async listed(grants: ConnectedGrant[]): Promise<ListedGrant[]> {
    const names = new Map<string, string>();
    for (const clientId of new Set(grants.map((grant) => grant.clientId))) names.set(clientId, (await this.clientNameOf(clientId)) ?? clientId);
    return grants.map((grant) => ({ ...grant, clientName: names.get(grant.clientId)! }));
  }

  /** The registered client_name of a client, or undefined when the id is unknown (or not given). */
  private async clientNameOf(clientId: string | undefined): Promise<string | undefined> {
    if (clientId === undefined || clientId === '' || clientId.length > MAX_VALUE) return undefined;
    return (await this.deps.clients.find(clientId))?.clientName;
  }

  private errorPage(status: number, heading: string, message: string, link?: { href: string; text: string }): Page {
    return { status, html: this.deps.pages.error(heading, message, link) };
  }

  private appsLink() {
    return { href: this.deps.paths.apps, text: 'Back to your connected apps' };
  }

  private adminLink() {
    return { href: this.deps.paths.admin, text: 'Back to the administration' };
  }

  private backLink(returnTo: string) {
    return returnTo === '/account/admin' ? this.adminLink() : this.appsLink();
  }

  private nowMs(): number {
    return this.deps.clock.now().getTime();
  }

  private send(reply: FastifyReply, page: Page): void {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('referrer-policy', 'no-referrer');
    if (page.retryAfter !== undefined) reply.header('retry-after', String(page.retryAfter));
    if (page.location !== undefined) {
      void reply.status(page.status).header('location', page.location).send();
      return;
    }
    // No script, style from here only, forms post only to here, never framed.
    void reply
      .status(page.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      .header('x-frame-options', 'DENY')
      .send(page.html ?? '');
  }
}

function queryValue(request: FastifyRequest, name: string): string | undefined {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const values = new URLSearchParams(query).getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/** The admin search: `user` or `client` (an empty field counts as absent), one value each, not both. */
function searchOf(request: FastifyRequest): AdminSearch | 'invalid' {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const parameters = new URLSearchParams(query);
  const search: AdminSearch = {};
  for (const name of ['user', 'client'] as const) {
    const values = parameters.getAll(name).filter((value) => value.trim() !== '');
    if (values.length > 1 || (values[0]?.length ?? 0) > MAX_VALUE) return 'invalid';
    if (values[0] !== undefined) search[name] = values[0].trim();
  }
  return search.user !== undefined && search.client !== undefined ? 'invalid' : search;
}

/** A form: form-encoded, each field once (a repeated field is a forged form). */
function formOf(request: FastifyRequest): ReadonlyMap<string, string> | undefined {
  try {
    return parseFormBody(request.headers['content-type'], request.body);
  } catch (error) {
    if (error instanceof InvalidRequest) return undefined;
    throw error;
  }
}
