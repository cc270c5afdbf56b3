import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clientInformationResponse, type ClientSecretHasher, OAuthError, validateClientMetadata } from '@authz/oauth';
import { ClientRegistrationError, type ClientRegistrationService } from './client-registration.service';

export const CLIENTS_USAGE = `usage: npm run cli -- clients <command> [options]

commands:
  register             register a client; prints its information and its secret (shown once)
      --name <text>                 client_name
      --grant-type <type>           repeatable: authorization_code, refresh_token, client_credentials, password
      --redirect-uri <uri>          repeatable: https, or http on a loopback host, no fragment
      --auth-method <method>        client_secret_basic (default), client_secret_post, private_key_jwt, none
      --scope "<a b>"               the scopes the client may request
      --default-scope "<a>"         granted when a request names none
      --audience <uri>              repeatable: aud of its access tokens
      --jwks-file <path>            a JSON Web Key Set with the public keys (private_key_jwt)
      --client-id <id>              choose the id (1-64 of A-Z a-z 0-9 . _ ~ -) instead of a random one
      --access-token-ttl <s>        its access token lifetime
      --skip-consent                a first-party client: no consent page
      --metadata-file <path>        RFC 7591 metadata as JSON (the options above are applied over it)
  list                 every client: id, origin (seed or registered), method, grant types, name
  show <client_id>     one client's information (never a secret)
  delete <client_id>   delete a registered client
  rotate-secret <client_id>   a new secret for a registered confidential client; prints it once
  hash-secret          reads a secret on stdin and prints its hmac-sha256 hash (for CLIENTS_FILE)`;

/** `connect` joins the event log (the registry caught up); hash-secret needs only the hasher and never connects. */
export type ClientsCommandDeps = { hasher: ClientSecretHasher; connect: () => Promise<ClientRegistrationService> };

export type CommandOutput = { out: (line: string) => void; err: (line: string) => void; stdin?: () => string };

/**
 * The admin CLI's `clients` commands, on the same ClientRegistrationService as POST /register (the
 * same validation, the same events). Returns the exit code: 0 done, 1 refused, 2 usage error.
 */
export async function runClientsCommand(
  args: readonly string[],
  deps: ClientsCommandDeps,
  output: CommandOutput,
): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'register':
        return await register(rest, deps, output);
      case 'list':
        for (const { client, origin } of await (await deps.connect()).list()) {
          output.out([client.clientId, origin, client.tokenEndpointAuthMethod, client.grantTypes.join(','), client.clientName].join('\t'));
        }
        return 0;
      case 'show': {
        const record = await (await deps.connect()).find(requireId(rest));
        if (!record) throw new ClientRegistrationError(`no client ${rest[0]}`);
        output.out(JSON.stringify({ ...clientInformationResponse(record.client), origin: record.origin, revision: record.revision }, null, 2));
        return 0;
      }
      case 'delete':
        await (await deps.connect()).delete(requireId(rest));
        output.out(`deleted ${rest[0]}`);
        return 0;
      case 'rotate-secret': {
        const issued = await (await deps.connect()).rotateSecret(requireId(rest));
        output.out(JSON.stringify({ client_id: issued.client.clientId, client_secret: issued.clientSecret, client_secret_expires_at: 0 }, null, 2));
        return 0;
      }
      case 'hash-secret': {
        const secret = (output.stdin?.() ?? '').replace(/\r?\n$/, '');
        if (secret === '') throw new UsageError('hash-secret reads the secret on stdin');
        output.out(deps.hasher.hash(secret));
        return 0;
      }
      default:
        throw new UsageError(command === undefined ? 'a command is required' : `unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`error: ${error.message}\n\n${CLIENTS_USAGE}`);
      return 2;
    }
    if (error instanceof OAuthError) {
      output.err(`error: ${error.error}: ${error.description}`);
      return 1;
    }
    if (error instanceof ClientRegistrationError) {
      output.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

class UsageError extends Error {}

function requireId(rest: readonly string[]): string {
  if (rest.length !== 1 || !rest[0]) throw new UsageError('expected exactly one client id');
  return rest[0];
}

async function register(
  rest: readonly string[],
  deps: ClientsCommandDeps,
  output: CommandOutput,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string' },
        'grant-type': { type: 'string', multiple: true },
        'redirect-uri': { type: 'string', multiple: true },
        'auth-method': { type: 'string' },
        scope: { type: 'string' },
        'default-scope': { type: 'string' },
        audience: { type: 'string', multiple: true },
        'jwks-file': { type: 'string' },
        'client-id': { type: 'string' },
        'access-token-ttl': { type: 'string' },
        'skip-consent': { type: 'boolean' },
        'metadata-file': { type: 'string' },
      },
    });
  } catch (error) {
    // (Checked by shape: node's errors may come from another realm, under jest.)
    const message = (error as { message?: unknown }).message;
    throw new UsageError(typeof message === 'string' ? message : String(error));
  }
  const values = parsed.values;
  const base = values['metadata-file'] ? (readJson(values['metadata-file']) as Record<string, unknown>) : {};
  const ttl = values['access-token-ttl'];
  const metadata = {
    ...base,
    ...(values.name !== undefined ? { client_name: values.name } : {}),
    ...(values['grant-type'] ? { grant_types: values['grant-type'] } : {}),
    ...(values['redirect-uri'] ? { redirect_uris: values['redirect-uri'] } : {}),
    ...(values['auth-method'] !== undefined ? { token_endpoint_auth_method: values['auth-method'] } : {}),
    ...(values.scope !== undefined ? { scope: values.scope } : {}),
    ...(values['default-scope'] !== undefined ? { default_scope: values['default-scope'] } : {}),
    ...(values.audience ? { audience: values.audience } : {}),
    ...(values['jwks-file'] ? { jwks: readJson(values['jwks-file']) } : {}),
    ...(ttl !== undefined ? { access_token_ttl: /^\d+$/.test(ttl) ? Number(ttl) : ttl } : {}),
    ...(values['skip-consent'] ? { skip_consent: true } : {}),
  };
  const validated = validateClientMetadata(metadata);
  const issued = await (await deps.connect()).register(validated, {
    registrationAccessToken: false,
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
  });
  output.out(JSON.stringify(clientInformationResponse(issued.client, issued.clientSecret ? { clientSecret: issued.clientSecret } : {}), null, 2));
  if (issued.clientSecret) output.err('The client secret is shown this once: only its hash is kept.');
  return 0;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
