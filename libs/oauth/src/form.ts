import { InvalidRequest } from './errors';

/** Request parameters with each name at most once (RFC 6749 §3.1, §3.2). */
export type OAuthParameters = ReadonlyMap<string, string>;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * Parameters that may be repeated: `resource` (RFC 8707 §2, "may use the parameter multiple times").
 * Their values are kept joined by a single space; `parameterValues` splits them again. No URI contains
 * a space, and each value that comes out is validated on its own, so the join loses nothing.
 */
const REPEATABLE = new Set(['resource']);

/**
 * Parses an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1).
 * "Request and response parameters MUST NOT be included more than once" (RFC 6749 §3.1): a repeated
 * parameter is invalid_request. "Parameters sent without a value MUST be treated as if they were omitted."
 */
export function parseFormBody(contentType: string | undefined, body: unknown): OAuthParameters {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== FORM_CONTENT_TYPE) {
    throw new InvalidRequest(`the request body must be ${FORM_CONTENT_TYPE}`);
  }
  if (typeof body !== 'string') throw new InvalidRequest('the request body is missing');
  const parameters = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (seen.has(name) && !REPEATABLE.has(name)) throw new InvalidRequest(`parameter '${name}' is included more than once`);
    seen.add(name);
    if (value === '') continue;
    const earlier = parameters.get(name);
    parameters.set(name, earlier === undefined ? value : `${earlier} ${value}`);
  }
  return parameters;
}

export function requireParameter(parameters: OAuthParameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw new InvalidRequest(`parameter '${name}' is missing`);
  return value;
}

/** Every value of a repeatable parameter (see REPEATABLE), in request order; none when absent. */
export function parameterValues(parameters: OAuthParameters, name: string): string[] {
  const value = parameters.get(name);
  return value === undefined ? [] : value.split(' ').filter((item) => item !== '');
}
