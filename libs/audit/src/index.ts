export * from './access-at.fold';
