export * from './provision';
export * from './e2e/grants-protocol';
