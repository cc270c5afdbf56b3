export * from './settings';
export * from './logger';
export * from './tokens';
export * from './health';
export * from './exception.filter';
export * from './platform.module';
export * from './bootstrap';
export * from './scope-policy.loader';
