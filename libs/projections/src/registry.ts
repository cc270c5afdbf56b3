import { accessTokensProjection } from './access-tokens.projection';
import { consentsProjection } from './consents.projection';
import type { Projection } from './projection';

/** Every projection the projector maintains. Adding one: a file, a migration, a line here. */
export const PROJECTIONS: readonly Projection[] = [accessTokensProjection, consentsProjection];
