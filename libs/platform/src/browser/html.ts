/**
 * HTML-escapes text for an element's content or a double-quoted attribute value. Control characters
 * (NUL and the other C0 controls but tab, line feed and carriage return; DEL) are not text in HTML
 * (WHATWG HTML §13.2.5: parse errors, NUL dropped or replaced): shown as U+FFFD, the replacement character.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (character) => `&#${character.charCodeAt(0)};`).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '&#65533;');
}

/**
 * A value for a template: `{{name}}` inserts text, HTML-escaped; `{{{name}}}` inserts markup, and only
 * accepts an `Html` value built from escaped parts, so a template can never receive raw user input as markup.
 */
export class Html {
  constructor(readonly markup: string) {}
}

export type TemplateValues = Record<string, string | Html>;

/** `{{name}}` → escaped text, `{{{name}}}` → Html markup; an unknown name renders as nothing. */
export function render(template: string, values: TemplateValues): string {
  return template.replace(/\{\{\{\s*([A-Za-z0-9_]+)\s*\}\}\}|\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_match, raw: string | undefined, text: string | undefined) => {
    const value = values[(raw ?? text)!];
    if (value === undefined) return '';
    if (raw !== undefined) return value instanceof Html ? value.markup : escapeHtml(value);
    return escapeHtml(value instanceof Html ? value.markup : value);
  });
}
