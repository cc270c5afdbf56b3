/** DI tokens of the platform's own providers. */
export const SETTINGS = Symbol.for('authz.Settings');
export const LOGGER = Symbol.for('authz.Logger');
