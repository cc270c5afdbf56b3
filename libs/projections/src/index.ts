export * from './projection';
export * from './access-tokens.projection';
export * from './consents.projection';
export * from './refresh-families.projection';
export * from './registry';
export * from './projector';
export * from './rebuild';
export * from './projections.module';
