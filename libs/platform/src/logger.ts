import pino from 'pino';
import type { Logger } from '@authz/ports';

/**
 * Keys whose values never reach a log line, wherever they appear (two levels deep, and in request
 * headers and bodies). Pass hashes and ids instead; this list is the safety net.
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
  'cookie',
  'privateJwk',
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
] as const;

const REDACT_PATHS = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((key) => `*.${key}`),
  ...REDACTED_KEYS.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
];

export function createLogger(options: { service: string; instanceId: string; level: string; destination?: pino.DestinationStream }): Logger {
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instanceId },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
  return logger as unknown as Logger;
}
