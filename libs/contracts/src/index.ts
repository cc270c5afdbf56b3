export * from './topics';
export * from './envelope';
export * from './events/common';
export * from './events/registry';
export * from './events/access-token-issued.event';
export * from './events/signing-key-published.event';
export * from './events/authorization-code-issued.event';
export * from './events/consent-granted.event';
