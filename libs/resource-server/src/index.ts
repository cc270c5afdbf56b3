export * from './revocation-set';
export * from './revocation-events';
export * from './revocation-feed';
export * from './bearer-response';
export * from './jwks';
export * from './introspection';
export * from './verifier';
export * from './middleware';
