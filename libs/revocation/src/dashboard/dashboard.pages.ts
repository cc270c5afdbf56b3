import { escapeHtml, scopeListItem } from '@authz/platform';
import type { ConnectedGrant } from './connected-apps.queries';

/** A grant with its app's registered name (client_name), as the pages show it. */
export type ListedGrant = ConnectedGrant & { clientName: string };

/** Where the dashboard's pages are, as the browser sees them (under ACCOUNT_URL's path). */
export type DashboardPaths = { apps: string; revoke: string; admin: string; adminRevoke: string; adminRevokeClient: string; css: string };

export function dashboardPaths(accountUrl: string): DashboardPaths {
  const base = `${new URL(accountUrl).pathname.replace(/\/$/, '')}/account`;
  return {
    apps: `${base}/apps`,
    revoke: `${base}/apps/revoke`,
    admin: `${base}/admin`,
    adminRevoke: `${base}/admin/revoke`,
    adminRevokeClient: `${base}/admin/revoke-client`,
    css: `${base}/assets/dashboard.css`,
  };
}

/** The admin view's search: by user (subject or username) or by client id; at most one of them. */
export type AdminSearch = { user?: string; client?: string };

/**
 * The connected-apps pages: server-rendered HTML without script (the CSP allows none), every value
 * escaped. Accessible: one h1 per page, a caption and column headers on each table, labelled inputs,
 * buttons named after what they do and to which app, status and alert regions for the outcome.
 */
export class DashboardPages {
  constructor(private readonly paths: DashboardPaths) {}

  /** The user's view: the apps that hold a grant, each with a "Revoke access" button. */
  apps(values: { username: string; grants: readonly ListedGrant[]; formToken: string; isAdmin: boolean; notice?: string }): string {
    const rows = values.grants.map(
      (grant) => `<tr>
<th scope="row">${escapeHtml(grant.clientName)}</th>
<td>${scopeList(grant.scopes)}</td>
<td>${time(grant.grantedAt)}</td>
<td>${time(grant.lastUsedAt)}</td>
<td><form method="post" action="${escapeHtml(this.paths.revoke)}">
<input type="hidden" name="form_token" value="${escapeHtml(values.formToken)}">
<input type="hidden" name="grant_id" value="${escapeHtml(grant.grantId)}">
<button type="submit" class="danger" aria-label="Revoke access for ${escapeHtml(grant.clientName)}">Revoke access</button>
</form></td>
</tr>`,
    );
    const table =
      rows.length === 0
        ? '<p class="empty">No app has access to your account.</p>'
        : `<table>
<caption>Apps with access to your account</caption>
<thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Granted</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
    const adminLink = values.isAdmin ? `\n<p><a href="${escapeHtml(this.paths.admin)}">Administration: all users’ grants</a></p>` : '';
    const content = `<h1>Connected apps</h1>
<p class="who">Signed in as <strong>${escapeHtml(values.username)}</strong>. These apps can use your account. Revoking access signs the app out everywhere at once; it must ask you again.</p>
${notice(values.notice)}${table}${adminLink}`;
    return this.layout('Connected apps', content);
  }

  /** The admin view: a search by user or client, the grants found, revoke one or (for a client) all. */
  admin(values: { username: string; search: AdminSearch; grants: readonly ListedGrant[] | undefined; formToken: string; notice?: string }): string {
    const { search } = values;
    const form = `<form method="get" action="${escapeHtml(this.paths.admin)}" class="search" role="search" aria-label="Grants">
<p><label for="user">User (subject or username)</label>
<input id="user" name="user" type="text" value="${escapeHtml(search.user ?? '')}" autocomplete="off" spellcheck="false"></p>
<p><label for="client">Client ID</label>
<input id="client" name="client" type="text" value="${escapeHtml(search.client ?? '')}" autocomplete="off" spellcheck="false"></p>
<p><button type="submit">Search</button></p>
</form>`;
    let results = '';
    if (values.grants !== undefined) {
      const what = search.user !== undefined ? `user ${search.user}` : `client ${search.client ?? ''}`;
      const back = search.user !== undefined ? `<input type="hidden" name="user" value="${escapeHtml(search.user)}">` : `<input type="hidden" name="client" value="${escapeHtml(search.client ?? '')}">`;
      const rows = values.grants.map(
        (grant) => `<tr>
<th scope="row">${escapeHtml(grant.clientName)} <code>${escapeHtml(grant.clientId)}</code></th>
<td>${escapeHtml(grant.subject)}</td>
<td>${scopeList(grant.scopes)}</td>
<td>${time(grant.grantedAt)}</td>
<td>${time(grant.lastUsedAt)}</td>
<td><form method="post" action="${escapeHtml(this.paths.adminRevoke)}">
<input type="hidden" name="form_token" value="${escapeHtml(values.formToken)}">
<input type="hidden" name="grant_id" value="${escapeHtml(grant.grantId)}">
<input type="hidden" name="client_id" value="${escapeHtml(grant.clientId)}">
${back}
<button type="submit" class="danger" aria-label="Revoke the grant of ${escapeHtml(grant.clientName)} for ${escapeHtml(grant.subject)}">Revoke</button>
</form></td>
</tr>`,
      );
      const table =
        rows.length === 0
          ? `<p class="empty">No live grant for ${escapeHtml(what)}.</p>`
          : `<table>
<caption>Live grants of ${escapeHtml(what)}</caption>
<thead><tr><th scope="col">App</th><th scope="col">User</th><th scope="col">Access</th><th scope="col">Granted</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
      const revokeAll =
        search.client !== undefined && rows.length > 0
          ? `\n<p><a class="danger" href="${escapeHtml(`${this.paths.adminRevokeClient}?${new URLSearchParams({ client: search.client })}`)}">Revoke every grant of ${escapeHtml(search.client)}…</a></p>`
          : '';
      results = `\n<h2>Results</h2>\n${table}${revokeAll}`;
    }
    const content = `<h1>Grants administration</h1>
<p class="who">Signed in as <strong>${escapeHtml(values.username)}</strong> (administrator). <a href="${escapeHtml(this.paths.apps)}">Your own connected apps</a></p>
${notice(values.notice)}${form}${results}`;
    return this.layout('Grants administration', content);
  }

  /** The confirmation step before revoking every grant of a client (a compromised app). */
  confirmRevokeClient(values: { clientId: string; clientName: string; count: number; formToken: string }): string {
    const cancel = `${this.paths.admin}?${new URLSearchParams({ client: values.clientId })}`;
    const grants = `${values.count} live grant${values.count === 1 ? '' : 's'}`;
    const content = `<h1>Revoke every grant of ${escapeHtml(values.clientName)}?</h1>
<p class="who">The app <code>${escapeHtml(values.clientId)}</code> holds ${escapeHtml(grants)}. Revoking them ends its refresh tokens and access tokens for every user, at once. Each user must sign in to it again.</p>
<form method="post" action="${escapeHtml(this.paths.adminRevokeClient)}">
<input type="hidden" name="form_token" value="${escapeHtml(values.formToken)}">
<input type="hidden" name="client_id" value="${escapeHtml(values.clientId)}">
<div class="actions">
<button type="submit" class="danger">Revoke all ${escapeHtml(grants)}</button>
<a href="${escapeHtml(cancel)}">Cancel</a>
</div>
</form>`;
    return this.layout(`Revoke every grant of ${values.clientName}?`, content);
  }

  /** An error: what happened and where to go from here. */
  error(heading: string, message: string, link?: { href: string; text: string }): string {
    const next = link ? `\n<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : '';
    return this.layout(heading, `<h1>${escapeHtml(heading)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>${next}`);
  }

  private layout(title: string, content: string): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(this.paths.css)}">
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
  }
}

function notice(text: string | undefined): string {
  return text === undefined ? '' : `<p class="notice" role="status">${escapeHtml(text)}</p>\n`;
}

function scopeList(scopes: readonly string[]): string {
  if (scopes.length === 0) return '<span class="muted">No scope</span>';
  const items = scopes.map(scopeListItem);
  return `<ul class="scopes">${items.join('')}</ul>`;
}

/** A time in UTC, to the minute, with its machine-readable value. */
function time(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso.slice(0, 19)}Z">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** The stylesheet (served at /account/assets/dashboard.css: the CSP allows style from 'self' only). */
export const DASHBOARD_CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f6f8}
main{max-width:60rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.who{color:#3d4651}.muted,.empty{color:#57606a}
table{width:100%;border-collapse:collapse;margin:1rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #d0d7de}
thead th{background:#f6f8fa}
ul.scopes{margin:0;padding-left:1.1rem}
code{font-size:.85em;background:#f6f8fa;padding:0 .2em;border-radius:3px}
button{font:inherit;padding:.4rem .9rem;border-radius:6px;border:1px solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}
button.danger{background:#b42318;border-color:#b42318}
a.danger{color:#b42318;font-weight:600}
a{color:#0550ae}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #fb8c00;outline-offset:2px}
label{display:block;font-weight:600;margin-bottom:.2rem}
input[type=text]{font:inherit;width:100%;max-width:24rem;padding:.4rem;border:1px solid #8c959f;border-radius:6px}
form.search{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-end}
.notice{padding:.5rem .75rem;border-left:4px solid #1a7f37;background:#dafbe1}
.error{padding:.5rem .75rem;border-left:4px solid #b42318;background:#ffebe9}
.actions{display:flex;gap:1rem;align-items:center}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
