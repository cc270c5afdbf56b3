import { InvalidRequest } from './errors';

/** Request parameters with each name at most once (RFC 6749 §3.1, §3.2). */
export type OAuthParameters = ReadonlyMap<string, string>;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * Parameters that may be repeated: `resource` (RFC 8707 §2, "may use the parameter multiple times").
 * The map holds their values joined by a single space; `parameterValues` answers the values as sent,
 * kept aside for every parsed body (REPEATED_VALUES), so that a value that itself contains a space is
 * one (invalid) value and not several valid ones.
 */
const REPEATABLE = new Set(['resource']);
const REPEATED_VALUES = new WeakMap<OAuthParameters, ReadonlyMap<string, readonly string[]>>();

/** RFC 6749 Appendix B: the body is UTF-8; `charset` may say so ("utf-8", or the WHATWG label "utf8"), never anything else. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** The media type of a Content-Type header value, lower case, without parameters ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** True unless the Content-Type names a charset other than UTF-8 ("utf-8", or the WHATWG label "utf8"). */
export function isUtf8Charset(contentType: string | undefined): boolean {
  const charset = CHARSET.exec(contentType ?? '')?.[1];
  return charset === undefined || ['utf-8', 'utf8'].includes(charset.toLowerCase());
}

/**
 * Parses an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1).
 * "Request and response parameters MUST NOT be included more than once" (RFC 6749 §3.1): a repeated
 * parameter is invalid_request. "Parameters sent without a value MUST be treated as if they were omitted."
 */
export function parseFormBody(contentType: string | undefined, body: unknown): OAuthParameters {
  if (mediaTypeOf(contentType) !== FORM_CONTENT_TYPE) {
    throw new InvalidRequest(`the request body must be ${FORM_CONTENT_TYPE}`);
  }
  // A body declared in another charset would have its %XX escapes mean other characters than the
  // UTF-8 we decode them as (a password with "%E9" would silently become another password).
  if (!isUtf8Charset(contentType)) throw new InvalidRequest('the request body must be UTF-8 (RFC 6749 appendix B)');
  if (typeof body !== 'string') throw new InvalidRequest('the request body is missing');
  // One map per body; the names sent without a value and the repeated values only when there are some
  // (this runs on every token and introspection request).
  const parameters = new Map<string, string>();
  let omitted: Set<string> | undefined;
  let repeated: Map<string, string[]> | undefined;
  for (const [name, value] of new URLSearchParams(body)) {
    const repeatable = REPEATABLE.has(name);
    if (!repeatable && (parameters.has(name) || omitted?.has(name) === true)) throw new InvalidRequest(`parameter '${name}' is included more than once`);
    if (value === '') {
      (omitted ??= new Set()).add(name);
      continue;
    }
    const earlier = parameters.get(name);
    parameters.set(name, earlier === undefined ? value : `${earlier} ${value}`);
    if (repeatable) (repeated ??= new Map()).set(name, [...(repeated.get(name) ?? []), value]);
  }
  if (repeated) REPEATED_VALUES.set(parameters, repeated);
  return parameters;
}

export function requireParameter(parameters: OAuthParameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw new InvalidRequest(`parameter '${name}' is missing`);
  return value;
}

/**
 * Every value of a repeatable parameter (see REPEATABLE), in request order, each as sent; none when
 * absent. For a map that parseFormBody did not make (a test's), or one of a body without any repeatable
 * parameter (no entry kept: the parameter is absent, so none), the values joined by single spaces.
 */
export function parameterValues(parameters: OAuthParameters, name: string): string[] {
  const parsed = REPEATED_VALUES.get(parameters);
  if (parsed) return [...(parsed.get(name) ?? [])];
  const value = parameters.get(name);
  return value === undefined ? [] : value.split(' ').filter((item) => item !== '');
}
