export * from './identity.module';
export * from './identity.service';
export * from './login-throttle';
export * from './login-subjects';
export * from './authenticate-request';
export * from './authenticate.controller';
export * from './ldap-diagnostics';
export * from './diagnostics.controller';
