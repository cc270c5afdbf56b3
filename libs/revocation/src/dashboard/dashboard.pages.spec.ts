import { DashboardPages, dashboardPaths, type ListedGrant } from './dashboard.pages';

const pages = new DashboardPages(dashboardPaths('https://issuer.test'));
const GRANTED = Date.UTC(2026, 10, 21, 9, 5, 30);
const USED = Date.UTC(2026, 10, 21, 13, 45, 0);
const grant: ListedGrant = {
  grantId: 'g-1',
  clientId: 'demo-web',
  clientName: 'Demo Web App',
  subject: 'alice',
  scopes: ['api:read', 'profile', 'x:custom'],
  grantedAt: GRANTED,
  lastUsedAt: USED,
};

const layout = (title: string, content: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/account/assets/dashboard.css">
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;

const SCOPES = '<ul class="scopes"><li>Read your data in the API <code>api:read</code></li><li>See your name and username <code>profile</code></li><li><code>x:custom</code></li></ul>';
const TIMES = '<td><time datetime="2026-11-21T09:05:30Z">2026-11-21 09:05 UTC</time></td>\n<td><time datetime="2026-11-21T13:45:00Z">2026-11-21 13:45 UTC</time></td>';

describe('DashboardPages', () => {
  it('paths live under ACCOUNT_URL’s path', () => {
    expect(dashboardPaths('https://example.org/tenant-a/')).toEqual({
      apps: '/tenant-a/account/apps',
      revoke: '/tenant-a/account/apps/revoke',
      admin: '/tenant-a/account/admin',
      adminRevoke: '/tenant-a/account/admin/revoke',
      adminRevokeClient: '/tenant-a/account/admin/revoke-client',
      css: '/tenant-a/account/assets/dashboard.css',
    });
  });

  it('renders the user’s apps: a captioned table, one named "Revoke access" form per app, the admin link for admins', () => {
    expect(pages.apps({ username: 'alice', grants: [grant], formToken: 'tok', isAdmin: true, notice: 'Access for Other was revoked.' })).toBe(
      layout(
        'Connected apps',
        `<h1>Connected apps</h1>
<p class="who">Signed in as <strong>alice</strong>. These apps can use your account. Revoking access signs the app out everywhere at once; it must ask you again.</p>
<p class="notice" role="status">Access for Other was revoked.</p>
<table>
<caption>Apps with access to your account</caption>
<thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Granted</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
<tr>
<th scope="row">Demo Web App</th>
<td>${SCOPES}</td>
${TIMES}
<td><form method="post" action="/account/apps/revoke">
<input type="hidden" name="form_token" value="tok">
<input type="hidden" name="grant_id" value="g-1">
<button type="submit" class="danger" aria-label="Revoke access for Demo Web App">Revoke access</button>
</form></td>
</tr>
</tbody>
</table>
<p><a href="/account/admin">Administration: all users’ grants</a></p>`,
      ),
    );
  });

  it('says so when no app has access, and shows no admin link to others', () => {
    expect(pages.apps({ username: 'bob', grants: [], formToken: '', isAdmin: false })).toBe(
      layout(
        'Connected apps',
        `<h1>Connected apps</h1>
<p class="who">Signed in as <strong>bob</strong>. These apps can use your account. Revoking access signs the app out everywhere at once; it must ask you again.</p>
<p class="empty">No app has access to your account.</p>`,
      ),
    );
  });

  it('escapes a hostile client name, username and grant id everywhere', () => {
    const hostile = { ...grant, clientName: '<script>alert(1)</script>', grantId: '"><img src=x>' };
    const html = pages.apps({ username: '<b>x</b>', grants: [hostile], formToken: 'tok', isAdmin: false });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('<th scope="row">&#60;script&#62;alert(1)&#60;/script&#62;</th>');
    expect(html).toContain('aria-label="Revoke access for &#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(html).toContain('<input type="hidden" name="grant_id" value="&#34;&#62;&#60;img src&#61;x&#62;">');
  });

  it('renders the admin search and a client’s grants, with the way to revoke them all', () => {
    expect(pages.admin({ username: 'alice', search: { client: 'demo-web' }, grants: [grant], formToken: 'tok' })).toBe(
      layout(
        'Grants administration',
        `<h1>Grants administration</h1>
<p class="who">Signed in as <strong>alice</strong> (administrator). <a href="/account/apps">Your own connected apps</a></p>
<form method="get" action="/account/admin" class="search" role="search" aria-label="Grants">
<p><label for="user">User (subject or username)</label>
<input id="user" name="user" type="text" value="" autocomplete="off" spellcheck="false"></p>
<p><label for="client">Client ID</label>
<input id="client" name="client" type="text" value="demo-web" autocomplete="off" spellcheck="false"></p>
<p><button type="submit">Search</button></p>
</form>
<h2>Results</h2>
<table>
<caption>Live grants of client demo-web</caption>
<thead><tr><th scope="col">App</th><th scope="col">User</th><th scope="col">Access</th><th scope="col">Granted</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
<tr>
<th scope="row">Demo Web App <code>demo-web</code></th>
<td>alice</td>
<td>${SCOPES}</td>
${TIMES}
<td><form method="post" action="/account/admin/revoke">
<input type="hidden" name="form_token" value="tok">
<input type="hidden" name="grant_id" value="g-1">
<input type="hidden" name="client_id" value="demo-web">
<input type="hidden" name="client" value="demo-web">
<button type="submit" class="danger" aria-label="Revoke the grant of Demo Web App for alice">Revoke</button>
</form></td>
</tr>
</tbody>
</table>
<p><a class="danger" href="/account/admin/revoke-client?client&#61;demo-web">Revoke every grant of demo-web…</a></p>`,
      ),
    );
  });

  it('renders the admin page before a search, and an empty result for a user', () => {
    const before = pages.admin({ username: 'alice', search: {}, grants: undefined, formToken: '' });
    expect(before).not.toContain('<h2>Results</h2>');
    const empty = pages.admin({ username: 'alice', search: { user: 'nobody' }, grants: [], formToken: '', notice: 'The grant was revoked.' });
    expect(empty).toContain('<p class="notice" role="status">The grant was revoked.</p>\n<form method="get"');
    expect(empty).toContain('<h2>Results</h2>\n<p class="empty">No live grant for user nobody.</p>\n</main>');
    expect(empty).toContain('<input id="user" name="user" type="text" value="nobody"');
  });

  it('renders the confirmation step of revoking every grant of a client', () => {
    expect(pages.confirmRevokeClient({ clientId: 'demo-web', clientName: 'Demo Web App', count: 1, formToken: 'tok' })).toBe(
      layout(
        'Revoke every grant of Demo Web App?',
        `<h1>Revoke every grant of Demo Web App?</h1>
<p class="who">The app <code>demo-web</code> holds 1 live grant. Revoking them ends its refresh tokens and access tokens for every user, at once. Each user must sign in to it again.</p>
<form method="post" action="/account/admin/revoke-client">
<input type="hidden" name="form_token" value="tok">
<input type="hidden" name="client_id" value="demo-web">
<div class="actions">
<button type="submit" class="danger">Revoke all 1 live grant</button>
<a href="/account/admin?client&#61;demo-web">Cancel</a>
</div>
</form>`,
      ),
    );
  });

  it('renders an error with an alert and the way back', () => {
    expect(pages.error('Not allowed', 'This page is for administrators only.', { href: '/account/apps', text: 'Back to your connected apps' })).toBe(
      layout('Not allowed', '<h1>Not allowed</h1>\n<p class="error" role="alert">This page is for administrators only.</p>\n<p><a href="/account/apps">Back to your connected apps</a></p>'),
    );
  });
});
