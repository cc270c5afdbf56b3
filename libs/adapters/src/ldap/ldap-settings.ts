import { readFileSync } from 'node:fs';
import { type Logger } from '@authz/ports';
import { type Settings } from '@authz/platform';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';

/** The LdapDirectory of the LDAP_* settings (the identity service, the `ldap` command, the bench). */
export function ldapDirectoryFromSettings(settings: Settings, logger: Logger, hooks: Pick<LdapDirectoryOptions, 'onBind'> = {}): LdapDirectory {
  return new LdapDirectory({
    url: settings.LDAP_URL.split(',').map((url) => url.trim()).filter((url) => url.length > 0),
    startTls: settings.LDAP_START_TLS,
    // Only when TLS is in play or configured: LdapDirectory warns about TLS options that an ldap:// URL ignores.
    ...(settings.LDAP_START_TLS || /(^|,)\s*ldaps:/i.test(settings.LDAP_URL) || settings.LDAP_TLS_CA_FILE !== undefined || !settings.LDAP_TLS_VERIFY
      ? {
          tls: {
            ...(settings.LDAP_TLS_CA_FILE !== undefined ? { ca: readFileSync(settings.LDAP_TLS_CA_FILE) } : {}),
            rejectUnauthorized: settings.LDAP_TLS_VERIFY,
          },
        }
      : {}),
    bindDn: settings.LDAP_BIND_DN,
    bindPassword: settings.LDAP_BIND_PASSWORD,
    baseDn: settings.LDAP_BASE_DN,
    userFilter: settings.LDAP_USER_FILTER,
    attributes: {
      subject: settings.LDAP_ATTR_SUBJECT,
      username: settings.LDAP_ATTR_USERNAME,
      name: settings.LDAP_ATTR_NAME,
      email: settings.LDAP_ATTR_EMAIL,
      groups: settings.LDAP_ATTR_GROUPS,
    },
    connectTimeoutMs: settings.LDAP_CONNECT_TIMEOUT_MS,
    timeoutMs: settings.LDAP_TIMEOUT_MS,
    pool: { size: settings.LDAP_POOL_SIZE, idleMs: settings.LDAP_POOL_IDLE_MS },
    breaker: { failures: settings.LDAP_BREAKER_FAILURES, openMs: settings.LDAP_BREAKER_OPEN_MS },
    healthCheckIntervalMs: settings.LDAP_HEALTH_CHECK_MS,
    groups: {
      mode: settings.LDAP_GROUP_MODE,
      ...(settings.LDAP_GROUP_BASE_DN !== undefined ? { baseDn: settings.LDAP_GROUP_BASE_DN } : {}),
      objectFilter: settings.LDAP_GROUP_FILTER,
      memberAttribute: settings.LDAP_GROUP_MEMBER_ATTR,
      maxDepth: settings.LDAP_GROUP_NESTING_DEPTH,
    },
    maxGroups: settings.LDAP_GROUPS_MAX,
    userCacheMs: settings.LDAP_USER_CACHE_MS,
    logger,
    ...hooks,
  });
}
