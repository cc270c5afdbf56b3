import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeHtml, Html, Pages, render } from './pages';

describe('render (the page templates)', () => {
  it('escapes {{text}} and inserts {{{markup}}} only from Html values', () => {
    expect(render('<p title="{{a}}">{{a}}</p>{{{b}}}{{{c}}}{{missing}}', { a: '"><script>x</script>&\'`=', b: new Html('<em>ok</em>'), c: '<b>raw?</b>' })).toBe(
      '<p title="&#34;&#62;&#60;script&#62;x&#60;/script&#62;&#38;&#39;&#96;&#61;">&#34;&#62;&#60;script&#62;x&#60;/script&#62;&#38;&#39;&#96;&#61;</p><em>ok</em>&#60;b&#62;raw?&#60;/b&#62;',
    );
    expect(escapeHtml('plain text')).toBe('plain text');
    expect(escapeHtml('<script>alert(1)</script>\u0000"x\'\u0001\u007f\t\r\nok')).toBe('&#60;script&#62;alert(1)&#60;/script&#62;&#65533;&#34;x&#39;&#65533;&#65533;\t\r\nok');
  });
});

describe('Pages', () => {
  const pages = new Pages();

  it('shows the client name and a labelled, focused form on the login page; escapes everything it is given', () => {
    const html = pages.login({ clientName: 'Evil <App>', action: '/authorize/login', interaction: 'i"d', formToken: 't', username: '"><img src=x>' });
    expect(html).toContain('<title>Sign in to Evil &#60;App&#62;</title>');
    expect(html).toContain('<strong>Evil &#60;App&#62;</strong> wants to access your account.');
    expect(html).toContain('<input type="hidden" name="interaction" value="i&#34;d">');
    expect(html).toContain('value="&#34;&#62;&#60;img src&#61;x&#62;"');
    expect(html).toMatch(/<input id="username"[^>]* autofocus>/);
    expect(html).not.toContain('role="alert"');
    expect(html).not.toContain('<script');
  });

  it('announces a login error and moves the focus to the password', () => {
    const html = pages.login({ clientName: 'App', action: '/authorize/login', interaction: 'i', formToken: 't', error: 'Wrong <b>' });
    expect(html).toContain('<div id="login-error" class="error" role="alert">Wrong &#60;b&#62;</div>');
    expect(html).toMatch(/<input id="password"[^>]* autofocus aria-invalid="true" aria-describedby="login-error">/);
  });

  it('lists the scopes with human descriptions on the consent page', () => {
    const html = pages.consent({ clientName: 'App', action: '/authorize/consent', interaction: 'i', formToken: 't', username: 'alice', scopes: ['profile', 'urn:x:<odd>'] });
    expect(html).toContain('<li>See your name and username <code>profile</code></li>\n<li><code>urn:x:&#60;odd&#62;</code></li>');
    expect(html).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
  });

  it('loads a theme from UI_DIR, and refuses to start without a template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authz-ui-'));
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'css'));
    expect(() => new Pages(dir)).toThrow(/layout\.html/);
    for (const name of ['layout', 'login', 'consent']) writeFileSync(join(dir, 'templates', `${name}.html`), name === 'layout' ? '<main>{{title}}|{{{content}}}</main>' : '');
    writeFileSync(join(dir, 'templates', 'error.html'), '<h1>{{heading}}</h1><p>{{message}}</p>');
    writeFileSync(join(dir, 'css', 'authorize.css'), 'body{}');
    const themed = new Pages(dir);
    expect(themed.error('Oops', 'It <broke>')).toBe('<main>Oops|<h1>Oops</h1><p>It &#60;broke&#62;</p></main>');
    expect(themed.css).toBe('body{}');
  });
});
