export * from './bearer-token.guard';
export * from './resource-server.module';
