import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadSettings, PlatformModule } from '@authz/platform';
import { CREDENTIAL_VERIFIER, silentLogger } from '@authz/ports';
import { HttpCredentialVerifier } from './identity/http-credential-verifier';
import { InfrastructureModule } from './infrastructure.module';

@Module({})
class CredentialsOnly {
  static create(mode: 'distributed' | 'embedded'): DynamicModule {
    const settings = loadSettings('authorize', {}, { MODE: mode, IDENTITY_URL: 'http://identity.internal:8084', LOG_LEVEL: 'silent' });
    return { module: CredentialsOnly, imports: [PlatformModule.forRoot(settings, silentLogger), InfrastructureModule.forRoot(settings, { credentials: true })] };
  }
}

describe('InfrastructureModule, need `credentials`', () => {
  it('provides HttpCredentialVerifier in the distributed mode (no connection at startup)', async () => {
    const app = await NestFactory.createApplicationContext(CredentialsOnly.create('distributed'), { logger: false });
    try {
      expect(app.get(CREDENTIAL_VERIFIER)).toBeInstanceOf(HttpCredentialVerifier);
    } finally {
      await app.close();
    }
  });

  it('leaves CREDENTIAL_VERIFIER to IdentityModule.inProcess() in the embedded mode (adapters import no feature)', async () => {
    const app = await NestFactory.createApplicationContext(CredentialsOnly.create('embedded'), { logger: false });
    try {
      expect(() => app.get(CREDENTIAL_VERIFIER)).toThrow();
    } finally {
      await app.close();
    }
  });
});
