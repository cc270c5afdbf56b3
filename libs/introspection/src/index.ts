export * from './introspection.module';
export * from './introspection.service';
export * from './key-ring.service';
export * from './access-token-verifier';
export * from './caller-authentication';
export * from './introspection.routes';
