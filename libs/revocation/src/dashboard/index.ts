export * from './connected-apps.queries';
export * from './dashboard.controller';
export * from './dashboard.module';
export * from './dashboard.pages';
export * from './grant-revoker';
