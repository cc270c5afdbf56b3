export * from './provision';
export * from './page-browser';
export * from './authorize-bad-input.cases';
export * from './e2e/grants-protocol';
export * from './jws';
