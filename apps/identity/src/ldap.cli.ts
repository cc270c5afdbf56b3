/**
 * `npm run ldap -- diagnose <username> [--client <client_id>]`: what the directory says about a username,
 * with the identity service's settings (LDAP_*, SCOPE_POLICY): the DN found, the groups resolved (with
 * the path of nested ones), the scopes the group → scope policy gives, and which server answered. Searches
 * as the service account only: no bind as the user, nothing counted, no event.
 *
 *   npm run ldap -- status       one JSON line per configured server: breaker state after a ping
 *
 * Prints one JSON object; exits 1 with the reason on stderr.
 */
import 'reflect-metadata';
import { ldapDirectoryFromSettings } from '@authz/adapters';
import { diagnoseLdapUser } from '@authz/identity';
import { createLogger, loadScopePolicy, loadSettings } from '@authz/platform';

const USAGE = 'usage: npm run ldap -- diagnose <username> [--client <client_id>] | status';

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const settings = loadSettings('identity');
  if (settings.MODE !== 'distributed') throw new Error('the ldap command reads the LDAP directory (MODE=distributed)');
  const logger = createLogger({ service: 'ldap-cli', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL === 'info' ? 'warn' : settings.LOG_LEVEL });
  const directory = ldapDirectoryFromSettings({ ...settings, LDAP_HEALTH_CHECK_MS: 0 }, logger);
  try {
    if (command === 'status' && args.length === 0) {
      await directory.ping().catch(() => undefined);
      process.stdout.write(`${JSON.stringify(directory.status(), null, 2)}\n`);
      return;
    }
    if (command !== 'diagnose') throw new Error(USAGE);
    let username: string | undefined;
    let clientId: string | undefined;
    for (let index = 0; index < args.length; index += 1) {
      if (args[index] === '--client') clientId = args[++index];
      else if (username === undefined) username = args[index];
      else throw new Error(USAGE);
    }
    if (!username || (clientId !== undefined && clientId.length === 0)) throw new Error(USAGE);
    const diagnosis = await diagnoseLdapUser(directory, loadScopePolicy(settings.SCOPE_POLICY), username, clientId);
    process.stdout.write(`${JSON.stringify(diagnosis, null, 2)}\n`);
  } finally {
    await directory.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
