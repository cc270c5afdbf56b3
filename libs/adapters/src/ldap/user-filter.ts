import { randomBytes } from 'node:crypto';
import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from 'ldapts';

/** The placeholder of a user filter template, replaced by the username as typed. */
export const USERNAME_PLACEHOLDER = '{username}';

export const DEFAULT_USER_FILTER = '(&(objectClass=inetOrgPerson)(uid={username}))';

export class InvalidUserFilterError extends Error {
  override readonly name = 'InvalidUserFilterError';
}

/** Builds the search filter for one username. */
export type UserFilter = (username: string) => Filter;

/**
 * Compiles an RFC 4515 filter template such as `(&(objectClass=inetOrgPerson)(uid={username}))`.
 *
 * The template is parsed ONCE, with the placeholder standing in as an inert token; each search then
 * clones that filter tree and puts the username into the assertion values of the clone. The username
 * is never part of a filter string that gets parsed, so no input can add a clause, a wildcard or a
 * parenthesis: on the wire it is an octet string inside an equality (or substring) assertion, and
 * `toString()` shows it RFC 4515-escaped (`*` → `\2a`, `(` → `\28`, `)` → `\29`, `\` → `\5c`, NUL → `\00`).
 *
 * The placeholder may appear in assertion values only (never in an attribute name, a matching rule,
 * or a presence test), at least once. Throws InvalidUserFilterError at startup otherwise.
 */
export function compileUserFilter(template: string): UserFilter {
  if (!template.includes(USERNAME_PLACEHOLDER)) {
    throw new InvalidUserFilterError(`the user filter must contain ${USERNAME_PLACEHOLDER}: ${template}`);
  }
  assertBalanced(template);
  // Letters and digits only: the filter parser takes it verbatim, and nobody writes it in a template.
  const token = `authzusername${randomBytes(12).toString('hex')}`;
  let parsed: Filter;
  try {
    parsed = FilterParser.parseString(template.split(USERNAME_PLACEHOLDER).join(token));
  } catch (error) {
    throw new InvalidUserFilterError(`the user filter is not a valid RFC 4515 filter: ${template} (${(error as Error).message})`);
  }
  const uses = { values: 0 };
  // A dry run with an empty username counts the placeholders and rejects unsupported positions.
  substitute(parsed, token, '', template, uses);
  if (uses.values === 0) {
    throw new InvalidUserFilterError(`${USERNAME_PLACEHOLDER} must stand in an assertion value of the user filter: ${template}`);
  }
  return (username) => substitute(parsed, token, username, template, { values: 0 });
}

/** ldapts' parser accepts a missing closing parenthesis: check the template's nesting ourselves. */
function assertBalanced(template: string): void {
  const text = template.trim();
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '(') depth += 1;
    else if (char === ')') {
      depth -= 1;
      if (depth < 0 || (depth === 0 && index !== text.length - 1)) {
        depth = -1;
        break;
      }
    }
  }
  if (!text.startsWith('(') || !text.endsWith(')') || depth !== 0) {
    throw new InvalidUserFilterError(`the user filter must be one parenthesised RFC 4515 filter with balanced parentheses: ${template}`);
  }
}

function substitute(filter: Filter, token: string, username: string, template: string, uses: { values: number }): Filter {
  const value = (text: string): string => {
    if (!text.includes(token)) return text;
    uses.values += 1;
    return text.split(token).join(username);
  };
  const noToken = (text: string): string => {
    if (text.includes(token)) {
      throw new InvalidUserFilterError(`${USERNAME_PLACEHOLDER} may only stand in an assertion value of the user filter: ${template}`);
    }
    return text;
  };
  if (filter instanceof AndFilter) {
    return new AndFilter({ filters: filter.filters.map((child) => substitute(child, token, username, template, uses)) });
  }
  if (filter instanceof OrFilter) {
    return new OrFilter({ filters: filter.filters.map((child) => substitute(child, token, username, template, uses)) });
  }
  if (filter instanceof NotFilter) {
    return new NotFilter({ filter: substitute(filter.filter, token, username, template, uses) });
  }
  if (filter instanceof EqualityFilter) {
    const original = typeof filter.value === 'string' ? filter.value : filter.value.toString('utf8');
    return new EqualityFilter({ attribute: noToken(filter.attribute), value: value(original) });
  }
  if (filter instanceof SubstringFilter) {
    return new SubstringFilter({
      attribute: noToken(filter.attribute),
      initial: value(filter.initial),
      any: filter.any.map(value),
      final: value(filter.final),
    });
  }
  if (filter instanceof ApproximateFilter) {
    return new ApproximateFilter({ attribute: noToken(filter.attribute), value: value(filter.value) });
  }
  if (filter instanceof GreaterThanEqualsFilter) {
    return new GreaterThanEqualsFilter({ attribute: noToken(filter.attribute), value: value(filter.value) });
  }
  if (filter instanceof LessThanEqualsFilter) {
    return new LessThanEqualsFilter({ attribute: noToken(filter.attribute), value: value(filter.value) });
  }
  if (filter instanceof PresenceFilter) {
    return new PresenceFilter({ attribute: noToken(filter.attribute) });
  }
  if (filter instanceof ExtensibleFilter) {
    return new ExtensibleFilter({
      matchType: noToken(filter.matchType),
      rule: noToken(filter.rule),
      dnAttributes: filter.dnAttributes,
      value: value(filter.value),
    });
  }
  throw new InvalidUserFilterError(`unsupported filter element in the user filter: ${template}`);
}
