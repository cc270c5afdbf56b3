export { AD_BIND_SUBCODES, adSubcode, refusalReason } from './bind-refusal';
export { type GroupMode, type GroupOptions, LDAP_MATCHING_RULE_IN_CHAIN, resolveGroups } from './group-resolver';
export { DEFAULT_LDAP_ATTRIBUTES, type LdapAttributeMap, LdapDirectory, type LdapDirectoryOptions, type LdapTlsOptions } from './ldap-directory';
export { CircuitBreaker, LdapPool, LdapPoolBusyError } from './ldap-pool';
export { compileUserFilter, DEFAULT_USER_FILTER, InvalidUserFilterError, type UserFilter, USERNAME_PLACEHOLDER } from './user-filter';
export { ldapDirectoryFromSettings } from './ldap-settings';
export { freeSlapdPort, SLAPD_BASE_DN, SlapdInstance } from './slapd-instance';
