export * from './client-authentication.service';
export * from './client-registration.service';
export * from './registration.controller';
export * from './clients.module';
export * from './clients.command';
