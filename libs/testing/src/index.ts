export * from './provision';
export * from './page-browser';
