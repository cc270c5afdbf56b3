export * from './token.module';
export * from './access-token.module';
export * from './signing-keys.service';
export * from './token-issuer.service';
export * from './key-encryption';
