// The clients of the benchmark, the same for the three subjects: the seed clients a scenario uses
// (README, "Demo credentials") and N generated client_credentials clients (bench-0000 …) for the
// many-clients scenario, with their secrets. `clientsFile` writes them as a CLIENTS_FILE for our suite.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export const SEED = {
  'demo-service': 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU',
  'demo-api': 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU',
  'demo-portal': 'jhaWqS4fLre2ejnnCgRlAWSTsXrQBWba4N399Mrq57g',
  'legacy-app': 'dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA',
};

export const benchClientId = (i) => `bench-${String(i).padStart(4, '0')}`;
export const benchSecret = (i) => createHash('sha256').update(`authz-suite bench client ${i}`).digest('base64url');

/** Every client of the benchmark: {id, secret}. */
export function benchClients(count) {
  return [...Object.entries(SEED).map(([id, secret]) => ({ id, secret })), ...Array.from({ length: count }, (_, i) => ({ id: benchClientId(i), secret: benchSecret(i) }))];
}

export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** deploy/seed/clients.json plus `count` client_credentials clients, written to `path` (our CLIENTS_FILE). */
export function clientsFile(root, path, count) {
  const seed = JSON.parse(readFileSync(`${root}/deploy/seed/clients.json`, 'utf8'));
  const generated = Array.from({ length: count }, (_, i) => ({
    client_id: benchClientId(i),
    client_name: `Benchmark client ${i}`,
    client_secret_hash: `sha256:${createHash('sha256').update(benchSecret(i)).digest('base64url')}`,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: 'api:read',
    default_scope: 'api:read',
    audience: ['https://api.example.org'],
  }));
  writeFileSync(path, JSON.stringify({ ...seed, clients: [...seed.clients, ...generated] }, null, 1));
  return path;
}
