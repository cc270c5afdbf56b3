export * from './token.module';
export * from './access-token.module';
export * from './signing-keys.service';
export * from './token-issuer.service';
export * from './key-encryption';
export * from './jws-signer';
export * from './key-schedule';
export * from './signing-key-rotation';
