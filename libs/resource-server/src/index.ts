export * from './revocation-set';
