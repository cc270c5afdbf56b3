export * from './authorize.module';
export * from './authorization-flow';
export * from './consent-store';
export * from './interaction-store';
export * from './pages';
