export * from './cookies';
export * from './form-tokens';
export * from './html';
export * from './session';
export * from './scope-descriptions';
