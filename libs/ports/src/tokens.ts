/** Dependency-injection tokens for the ports (NestJS providers are registered under these). */
export const EVENT_PUBLISHER = Symbol.for('authz.EventPublisher');
export const EVENT_SUBSCRIBER = Symbol.for('authz.EventSubscriber');
export const SQL_DATABASE = Symbol.for('authz.SqlDatabase');
export const TTL_STORE = Symbol.for('authz.TtlStore');
export const DIRECTORY = Symbol.for('authz.Directory');
export const CLIENT_REGISTRY = Symbol.for('authz.ClientRegistry');
export const SIGNING_KEY_STORE = Symbol.for('authz.SigningKeyStore');
export const CLOCK = Symbol.for('authz.Clock');
export const AUTHORIZATION_CODE_STORE = Symbol.for('authz.AuthorizationCodeStore');
export const CREDENTIAL_VERIFIER = Symbol.for('authz.CredentialVerifier');
export const REFRESH_FAMILY_STORE = Symbol.for('authz.RefreshFamilyStore');
