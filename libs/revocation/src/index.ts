export * from './revocation.service';
export * from './revocation.module';
export * from './dashboard';
