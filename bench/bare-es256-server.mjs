#!/usr/bin/env node
// The reference point of the token benchmark: a bare node:http server that does the least a
// client_credentials token endpoint must do (check a SHA-256 client secret in constant time, sign one
// ES256 JWT) and nothing else: no framework, no event log. PORT from the environment.
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRET_HASH = createHash('sha256').update('hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').digest();
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bare' })).toString('base64url');

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

createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const [id, secret] = Buffer.from((request.headers.authorization ?? '').slice(6), 'base64').toString().split(':');
    const ok = id === 'demo-service' && timingSafeEqual(createHash('sha256').update(secret ?? '').digest(), SECRET_HASH) && new URLSearchParams(body).get('grant_type') === 'client_credentials';
    if (!ok) {
      response.writeHead(401, { 'content-type': 'application/json', 'content-length': 26 }).end('{"error":"invalid_client"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://issuer.bench.test', exp: now + 300, aud: 'https://api.example.org', sub: id, client_id: id, iat: now, jti: randomBytes(16).toString('base64url'), scope: 'api:read' };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${input}.${p1363(sign('sha256', Buffer.from(input), privateKey)).toString('base64url')}`;
    const answer = Buffer.from(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300, scope: 'api:read' }));
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length, 'cache-control': 'no-store', pragma: 'no-cache' }).end(answer);
  });
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
