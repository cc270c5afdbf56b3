export * from './revocation.service';
export * from './revocation.module';
