import { settingsSchema } from './settings';

/**
 * Keys whose values never reach a log line, at any depth (objects, arrays, errors and their causes,
 * child-logger bindings). Compared without case, `_` or `-` (`client_secret`, `clientSecret` and
 * `Client-Secret` are one key). Pass hashes and ids instead; this list is the safety net.
 */
export const REDACTED_KEYS = [
  'password',
  'client_secret',
  'clientSecret',
  'secret',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'code',
  'code_verifier',
  'codeVerifier',
  'token',
  'assertion',
  'client_assertion',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'privateJwk',
  'privateKey',
  'bindPassword',
  'Authorization',
  'Password',
  'Cookie',
  'LDAP_BIND_PASSWORD',
  'KEY_ENCRYPTION_KEY',
  'keyEncryptionKey',
  'registration_access_token',
  'registrationAccessToken',
  'CLIENT_SECRET_PEPPER',
  'REGISTRATION_INITIAL_ACCESS_TOKEN',
  'initial_access_token',
  'internalToken',
  'sessionKeys',
  'body',
] as const;

/** A setting whose value is a secret: a password, a secret, a token, a key or a pepper (not a TTL, an algorithm or a prefix). */
const SECRET_SETTING = /(PASSWORD|SECRET|_TOKEN|_KEY|_KEYS|PEPPER)$/;

/** The settings (libs/platform/src/settings.ts) whose values are secrets, derived from the schema: a new one is redacted without editing a list. */
export function secretSettingNames(): string[] {
  return Object.keys(settingsSchema.shape).filter((name) => SECRET_SETTING.test(name));
}

export const REDACTED = '[redacted]';

const normalize = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

/** Every sensitive key, normalized. */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([...REDACTED_KEYS, ...secretSettingNames()].map(normalize));

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(normalize(key));
}

/** Form and query parameters, JSON members and cookies whose values are secrets wherever they occur in a string. */
const SENSITIVE_PARAMETERS = [
  'code',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'password',
  'code_verifier',
  'assertion',
  'client_assertion',
  'registration_access_token',
  'authz_session',
  '__Host-authz_session',
  'form_token',
  'secret',
];
const PARAMETER_NAMES = SENSITIVE_PARAMETERS.map((name) => name.replace(/[-_]/g, '[-_]?')).join('|');

/** Value-based scrubbing: each pattern with what replaces a match. Order matters (a JWT inside a Bearer credential goes either way). */
const VALUE_PATTERNS: Array<[RegExp, string]> = [
  // JWS (three base64url segments) and JWE (five) starting with a JSON header `{"`.
  [/eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}/g, REDACTED],
  // Authorization header values: scheme, then the credentials.
  [/\b(Bearer|Basic|Digest|DPoP|Negotiate)(\s+|%20|\+)[^\s,;"'&]+/gi, `$1$2${REDACTED}`],
  // name=value in forms, query strings and cookies (also percent-encoded or with spaces around `=`).
  [new RegExp(`(^|[?#&;,\\s"'{(\\[]|%3F|%23|%26)(${PARAMETER_NAMES})(\\s*(?:=|%3D)\\s*)[^&;,\\s"'#)\\]}]*`, 'gi'), `$1$2$3${REDACTED}`],
  // "name": "value" in serialized JSON (and \"name\":\"value\" inside a JSON string).
  [new RegExp(`("(?:${PARAMETER_NAMES}|password|secret|authorization|cookie)"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REDACTED}"`],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, `$1${REDACTED}@`],
];

/** A cheap pre-check: strings that cannot match any pattern are returned as they are. */
const MAYBE_SENSITIVE = new RegExp(`eyJ|Bearer|Basic|Digest|DPoP|Negotiate|://|${PARAMETER_NAMES}|password|secret|authorization|cookie`, 'i');

/** The string with every credential-looking part replaced by `[redacted]`. */
export function scrubString(text: string): string {
  if (text.length < 4 || !MAYBE_SENSITIVE.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 16;
const MAX_ARRAY = 200;

/**
 * A copy of `value` that is safe to log: sensitive keys' values replaced at any depth, strings scrubbed
 * (JWTs, Authorization credentials, sensitive form/query parameters and JSON members, URL passwords),
 * Errors turned into `{type, message, stack, code, cause, …}` with the same treatment, cycles cut.
 * Never changes `value`.
 */
export function redact(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

/** redact() for the top level of a log record (always an object). */
export function redactRecord(record: Record<string, unknown>): Record<string, unknown> {
  return walkObject(record, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out = value.slice(0, MAX_ARRAY).map((item) => walk(item, depth + 1, seen));
      if (value.length > MAX_ARRAY) out.push(`[${value.length - MAX_ARRAY} more]`);
      return out;
    }
    if (value instanceof Error) return walkError(value, depth, seen);
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof Map) return walkObject(Object.fromEntries([...value].map(([key, item]) => [String(key), item])), depth, seen);
    if (value instanceof Set) return walk([...value], depth, seen);
    if (value instanceof URL || value instanceof URLSearchParams) return scrubString(value.toString());
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return walk(toJSON.call(value), depth + 1, seen);
    return walkObject(value as Record<string, unknown>, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function walkObject(record: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const item = record[key];
    out[key] = isSensitiveKey(key) ? REDACTED : walk(item, depth + 1, seen);
  }
  return out;
}

function walkError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: scrubString(error.message) };
  if (error.stack) out.stack = scrubString(error.stack);
  for (const key of Object.keys(error)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    const item = (error as unknown as Record<string, unknown>)[key];
    // An error's `code` (ECONNREFUSED, ERR_…, a number) is a diagnosis, not an authorization code.
    const errorCode = key === 'code' && (typeof item === 'number' || (typeof item === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(item)));
    out[key] = isSensitiveKey(key) && !errorCode ? REDACTED : walk(item, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = walk(error.cause, depth + 1, seen);
  if (error instanceof AggregateError) out.errors = walk(error.errors, depth + 1, seen);
  return out;
}
