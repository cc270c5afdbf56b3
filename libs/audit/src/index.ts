export * from './access-at.fold';
export * from './access-report';
export * from './audit-filter';
export * from './audit-index.queries';
export * from './audit-log.reader';
export * from './audit.command';
export * from './audit.controller';
export * from './audit.module';
