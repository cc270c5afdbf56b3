export { DEFAULT_LDAP_ATTRIBUTES, type LdapAttributeMap, LdapDirectory, type LdapDirectoryOptions, type LdapTlsOptions } from './ldap-directory';
export { compileUserFilter, DEFAULT_USER_FILTER, InvalidUserFilterError, type UserFilter, USERNAME_PLACEHOLDER } from './user-filter';
