import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createVerifier, type Verifier, type VerifierOptions } from '../verifier';
import { BEARER_VERIFIER, BearerErrorFilter, BearerTokenGuard } from './bearer-token.guard';

type AsyncOptions = { useFactory: (...args: never[]) => VerifierOptions | Verifier; inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)> };

const isVerifier = (value: VerifierOptions | Verifier): value is Verifier => typeof (value as Verifier).verify === 'function';

/**
 * Provides the Verifier (BEARER_VERIFIER) to RequireScopes / RequireToken, everywhere in the
 * application, and closes it (the Kafka consumer) on shutdown.
 */
@Global()
@Module({})
export class ResourceServerModule implements OnApplicationShutdown {
  constructor(@Inject(BEARER_VERIFIER) private readonly verifier: Verifier) {}

  static forRoot(options: VerifierOptions | Verifier): DynamicModule {
    return this.build({ provide: BEARER_VERIFIER, useValue: isVerifier(options) ? options : createVerifier(options) });
  }

  static forRootAsync(options: AsyncOptions): DynamicModule {
    return this.build({
      provide: BEARER_VERIFIER,
      useFactory: (...args: never[]) => {
        const made = options.useFactory(...args);
        return isVerifier(made) ? made : createVerifier(made);
      },
      inject: options.inject ?? [],
    });
  }

  private static build(provider: DynamicModule['providers'] extends Array<infer P> | undefined ? P : never): DynamicModule {
    return { module: ResourceServerModule, providers: [provider, BearerTokenGuard, BearerErrorFilter], exports: [BEARER_VERIFIER, BearerTokenGuard, BearerErrorFilter] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.verifier.close();
  }
}
