import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escapeHtml, Html, render, scopeListItem, type TemplateValues } from '@authz/platform';

// The template renderer and escaping are shared with the dashboard's pages (libs/platform/src/browser).
export { escapeHtml, Html, render, type TemplateValues };

const TEMPLATE_NAMES = ['layout', 'login', 'consent', 'error'] as const;
type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The built-in pages: libs/authorize/ui (copied beside the compiled code by tools/copy-assets.cjs). */
export const BUILT_IN_UI_DIR = resolve(__dirname, '..', 'ui');

/**
 * The login, consent and error pages: a tiny template renderer (no logic in templates, escaping by
 * default), templates and CSS loaded once at startup from `UI_DIR` or the built-in folder. A missing
 * template fails the start, not a login.
 */
export class Pages {
  private readonly templates: Record<TemplateName, string>;
  readonly css: string;

  constructor(
    uiDir: string = BUILT_IN_UI_DIR,
    private readonly cssHref = '/authorize/assets/authorize.css',
  ) {
    const dir = resolve(uiDir);
    this.templates = Object.fromEntries(TEMPLATE_NAMES.map((name) => [name, readFileSync(join(dir, 'templates', `${name}.html`), 'utf8')])) as Record<TemplateName, string>;
    this.css = readFileSync(join(dir, 'css', 'authorize.css'), 'utf8');
  }

  login(values: { clientName: string; action: string; interaction: string; formToken: string; username?: string; error?: string }): string {
    const invalid = values.error !== undefined;
    const error = invalid ? new Html(`<div id="login-error" class="error" role="alert">${escapeHtml(values.error!)}</div>`) : new Html('');
    // Focus: the username first; after an error the password (the username is kept), described by the error.
    const usernameAttributes = new Html(invalid ? '' : 'autofocus');
    const passwordAttributes = new Html(invalid ? 'autofocus aria-invalid="true" aria-describedby="login-error"' : '');
    const content = this.fill('login', { ...values, username: values.username ?? '', error, usernameAttributes, passwordAttributes });
    return this.page(`Sign in to ${values.clientName}`, content);
  }

  consent(values: { clientName: string; action: string; interaction: string; formToken: string; username: string; scopes: readonly string[]; resources?: readonly string[] }): string {
    const items = values.scopes.map(scopeListItem);
    // RFC 8707: the services (resources) the access is for, when the request named them.
    const resources = values.resources ?? [];
    const resourceList =
      resources.length === 0 ? '' : `<p class="who">At:</p>\n<ul class="resources">\n${resources.map((resource) => `<li><code>${escapeHtml(resource)}</code></li>`).join('\n')}\n</ul>`;
    const content = this.fill('consent', { ...values, scopes: new Html(items.join('\n')), resources: new Html(resourceList) });
    return this.page(`Allow ${values.clientName}?`, content);
  }

  error(heading: string, message: string): string {
    return this.page(heading, this.fill('error', { heading, message }));
  }

  private page(title: string, content: string): string {
    return this.fill('layout', { title, cssHref: this.cssHref, content: new Html(content) });
  }

  private fill(name: TemplateName, values: TemplateValues): string {
    return render(this.templates[name], values);
  }
}
