import { escapeHtml } from './html';

/** Human descriptions of well-known scopes, shown on the consent page and the dashboard; other scopes are shown by name. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Keep access while you are away',
  'api:read': 'Read your data in the API',
  'api:write': 'Change your data in the API',
};

/** One scope as an HTML list item: its description (when known) and its name, escaped. */
export function scopeListItem(scope: string): string {
  const description = SCOPE_DESCRIPTIONS[scope];
  return description ? `<li>${escapeHtml(description)} <code>${escapeHtml(scope)}</code></li>` : `<li><code>${escapeHtml(scope)}</code></li>`;
}
