import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvLines, seedWithoutBaseEntry, WORKSPACE_ROOT } from './provision';

describe('service provisioning helpers', () => {
  it('parses the KEY=value lines of deploy/local/services.sh and ignores anything else', () => {
    expect(parseEnvLines('KAFKA_BROKERS=127.0.0.1:9092\nnoise\nLDAP_BIND_DN=cn=a,dc=b\n\n')).toEqual({ KAFKA_BROKERS: '127.0.0.1:9092', LDAP_BIND_DN: 'cn=a,dc=b' });
  });

  it('drops only the base entry from the LDAP seed (a container image creates it itself)', () => {
    const seed = readFileSync(join(WORKSPACE_ROOT, 'deploy', 'local', 'ldap', 'seed.ldif'), 'utf8');
    const dns = (ldif: string) => [...ldif.matchAll(/^dn: (.+)$/gm)].map((match) => match[1]);
    expect(dns(seedWithoutBaseEntry(seed, 'dc=example,dc=org'))).toEqual(dns(seed).filter((dn) => dn !== 'dc=example,dc=org'));
    expect(dns(seed)).toContain('dc=example,dc=org');
  });
});
