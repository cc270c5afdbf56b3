#!/usr/bin/env node
// The peer: node-oidc-provider (npm `oidc-provider`, a devDependency), configured for the benchmark's
// flows with its defaults otherwise (one process; its own in-memory adapter, whose store is made large
// enough for a run's pre-minted codes: the default keeps the last 1000 entries):
//   client_credentials, authorization_code + PKCE (S256), refresh_token with rotation (a reused refresh
//   token revokes the grant), introspection (RFC 7662), revocation (RFC 7009);
//   ES256 JWT access tokens through its resource indicators feature (resource https://api.example.org);
//   opaque access tokens for https://opaque.example.org (node-oidc-provider introspects opaque tokens
//   only: a JWT access token is not stored, so its introspection answers active: false).
// The password grant does not exist in node-oidc-provider (removed with OAuth 2.1): no peer figure.
// Set-up endpoint (never measured): POST /bench/mint {kind: 'code', count} mints authorization codes
// through its own models (Grant, AuthorizationCode), as its interaction would after a login and consent.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { benchClients } from './lib/clients.mjs';

const ISSUER = 'https://issuer.bench.test';
const API = 'https://api.example.org';
const OPAQUE = 'https://opaque.example.org';
const REDIRECT = 'http://127.0.0.1:8093/callback';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const clients = benchClients(Number(process.env.BENCH_CLIENTS ?? 1000)).map(({ id, secret }) => ({
  client_id: id,
  client_secret: secret,
  token_endpoint_auth_method: 'client_secret_basic',
  ...(id === 'demo-portal' ? { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT] } : { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
  scope: 'openid offline_access profile api:read',
}));

const store = new LRU({ maxSize: 5_000_000 });
const provider = new Provider(ISSUER, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients,
  jwks: { keys: [{ ...ec, kid: 'peer-es256', alg: 'ES256', use: 'sig' }, { ...rsa, kid: 'peer-rs256', alg: 'RS256', use: 'sig' }] },
  scopes: ['openid', 'offline_access', 'profile', 'api:read'],
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl: { AccessToken: 300, ClientCredentials: 300, AuthorizationCode: 60, Grant: 86_400, RefreshToken: 86_400, IdToken: 300, Interaction: 600, Session: 86_400 },
  issueRefreshToken: () => true,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: () => true },
    revocation: { enabled: true, allowedPolicy: () => true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx) => (ctx.oidc.params?.resource ? undefined : API),
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource === API) return { scope: 'api:read profile', audience: API, accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        if (resource === OPAQUE) return { scope: 'api:read', audience: OPAQUE, accessTokenTTL: 300, accessTokenFormat: 'opaque' };
        throw new Error('unknown resource');
      },
    },
  },
});
provider.on('server_error', (_ctx, error) => process.stderr.write(`peer server_error: ${error.stack}\n`));

async function mintCode() {
  const grant = new provider.Grant({ accountId: 'alice', clientId: 'demo-portal' });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(API, 'api:read profile');
  const grantId = await grant.save();
  const verifier = randomBytes(32).toString('base64url');
  const code = new provider.AuthorizationCode({
    accountId: 'alice',
    clientId: 'demo-portal',
    grantId,
    scope: 'openid offline_access api:read profile',
    resource: API,
    redirectUri: REDIRECT,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    authTime: Math.floor(Date.now() / 1000),
  });
  return `${await code.save()} ${verifier}`;
}

const callback = provider.callback();
createServer((request, response) => {
  if (request.url !== '/bench/mint') return callback(request, response);
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', async () => {
    const { count } = JSON.parse(body);
    const lines = [];
    for (let i = 0; i < count; i += 1) lines.push(await mintCode());
    response.end(lines.join('\n'));
  });
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
