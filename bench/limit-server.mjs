#!/usr/bin/env node
// The physical limit of each benchmark scenario: a bare node:http server doing only the work a flow
// cannot avoid, and nothing else (no framework, no event log, no validation beyond what the flow needs):
//   POST /token grant_type=client_credentials   Basic client auth (SHA-256 secret, constant time), one ES256 JWT
//   POST /token grant_type=authorization_code   + a map lookup (taken once) and a SHA-256 PKCE check
//   POST /token grant_type=refresh_token        + a map swap (old out, new in); a used token is a replay: 400
//   POST /token grant_type=password             + the LDAP simple bind (LDAP_URL; only with --ldap)
//   POST /introspect token=…                    Basic client auth, one ES256 verification, a revoked-set lookup
// Set-up endpoints (used by bench/run.mjs before a run, never measured):
//   POST /bench/mint {kind: 'code'|'refresh'|'token', count, revoke?}  → newline-separated values
// PORT and HOST from the environment. Clients: bench/lib/clients.mjs (the same ids and secrets as ours).
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { benchClients } from './lib/clients.mjs';

const ISSUER = 'https://issuer.bench.test';
const clients = new Map(benchClients(Number(process.env.BENCH_CLIENTS ?? 1000)).map((client) => [client.id, createHash('sha256').update(client.secret).digest()]));
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'limit' })).toString('base64url');
const codes = new Map(); // code → { clientId, challenge }
const refresh = new Map(); // refresh token → { clientId, family }
const used = new Map(); // used refresh token → family (replay detection)
const revokedFamilies = new Set();
const revokedJti = new Set();
let ldap;
if (process.env.LDAP_URL && process.argv.includes('--ldap')) {
  const { Client } = await import('ldapts');
  ldap = { Client, url: process.env.LDAP_URL, base: process.env.LDAP_BASE_DN ?? 'dc=example,dc=org' };
}

function p1363(der) {
  const out = Buffer.alloc(64);
  let offset = 2;
  for (let part = 0; part < 2; part += 1) {
    let length = der[offset + 1];
    offset += 2;
    while (length > 32 && der[offset] === 0) (offset += 1), (length -= 1);
    der.copy(out, part * 32 + 32 - length, offset, offset + length);
    offset += length;
  }
  return out;
}

function signJwt(claims) {
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${p1363(sign('sha256', Buffer.from(input), privateKey)).toString('base64url')}`;
}

function accessToken(sub, clientId, scope) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: ISSUER, exp: now + 300, aud: 'https://api.example.org', sub, client_id: clientId, iat: now, jti: randomBytes(16).toString('base64url'), scope });
}

/** The client of a Basic header, if its secret matches (SHA-256, constant time). */
function authenticate(authorization) {
  const [id, secret] = Buffer.from((authorization ?? '').slice(6), 'base64').toString().split(':');
  const hash = clients.get(id);
  return hash && timingSafeEqual(createHash('sha256').update(secret ?? '').digest(), hash) ? id : undefined;
}

function json(response, status, body) {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length, 'cache-control': 'no-store', pragma: 'no-cache' }).end(bytes);
}

function newRefresh(clientId, family) {
  const token = randomBytes(32).toString('base64url');
  refresh.set(token, { clientId, family });
  return token;
}

async function token(form, clientId, response) {
  switch (form.get('grant_type')) {
    case 'client_credentials':
      return json(response, 200, { access_token: accessToken(clientId, clientId, 'api:read'), token_type: 'Bearer', expires_in: 300, scope: 'api:read' });
    case 'authorization_code': {
      const code = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      const verifier = form.get('code_verifier') ?? '';
      if (!code || code.clientId !== clientId || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return json(response, 400, { error: 'invalid_grant' });
      return json(response, 200, { access_token: accessToken('alice', clientId, 'profile'), token_type: 'Bearer', expires_in: 300, scope: 'profile', refresh_token: newRefresh(clientId, randomBytes(8).toString('hex')) });
    }
    case 'refresh_token': {
      const presented = form.get('refresh_token') ?? '';
      const current = refresh.get(presented);
      if (!current || current.clientId !== clientId || revokedFamilies.has(current.family)) {
        const family = used.get(presented);
        if (family) revokedFamilies.add(family); // reuse detected: the family is revoked
        return json(response, 400, { error: 'invalid_grant' });
      }
      refresh.delete(presented);
      used.set(presented, current.family);
      return json(response, 200, { access_token: accessToken('alice', clientId, 'profile'), token_type: 'Bearer', expires_in: 300, scope: 'profile', refresh_token: newRefresh(clientId, current.family) });
    }
    case 'password': {
      if (!ldap) return json(response, 400, { error: 'unsupported_grant_type' });
      const username = form.get('username') ?? '';
      const client = new ldap.Client({ url: ldap.url });
      try {
        await client.bind(`uid=${username},ou=people,${ldap.base}`, form.get('password') ?? '');
      } catch {
        return json(response, 400, { error: 'invalid_grant' });
      } finally {
        await client.unbind().catch(() => undefined);
      }
      return json(response, 200, { access_token: accessToken(username, clientId, 'api:read'), token_type: 'Bearer', expires_in: 300, scope: 'api:read' });
    }
    default:
      return json(response, 400, { error: 'unsupported_grant_type' });
  }
}

function introspect(form, response) {
  const [head, payload, signature] = (form.get('token') ?? '').split('.');
  if (!signature || !verify('sha256', Buffer.from(`${head}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) return json(response, 200, { active: false });
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (claims.exp <= Date.now() / 1000 || revokedJti.has(claims.jti)) return json(response, 200, { active: false });
  return json(response, 200, { active: true, ...claims, token_type: 'Bearer' });
}

function mint({ kind, count, revoke = 0, clientId = 'demo-portal' }) {
  const lines = [];
  for (let i = 0; i < count; i += 1) {
    if (kind === 'code') {
      const code = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      codes.set(code, { clientId, challenge: createHash('sha256').update(verifier).digest('base64url') });
      lines.push(`${code} ${verifier}`);
    } else if (kind === 'refresh') {
      lines.push(newRefresh(clientId, randomBytes(8).toString('hex')));
    } else if (kind === 'used-refresh') {
      // A token rotated once (its successor issued): presenting it again is a replay.
      const first = newRefresh(clientId, randomBytes(8).toString('hex'));
      const { family } = refresh.get(first);
      refresh.delete(first);
      used.set(first, family);
      newRefresh(clientId, family);
      lines.push(first);
    } else if (kind === 'token') {
      const jwt = accessToken('alice', clientId, 'api:read');
      if (i < revoke) revokedJti.add(JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti);
      lines.push(jwt);
    }
  }
  return lines.join('\n');
}

createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    if (request.url === '/bench/mint') return response.end(mint(JSON.parse(body)));
    const clientId = authenticate(request.headers.authorization);
    if (!clientId) return json(response, 401, { error: 'invalid_client' });
    const form = new URLSearchParams(body);
    if (request.url === '/introspect') return introspect(form, response);
    if (request.url === '/token') return void token(form, clientId, response).catch(() => json(response, 500, { error: 'server_error' }));
    json(response, 404, { error: 'not_found' });
  });
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
