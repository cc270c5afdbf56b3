// Writes deploy/docker/<service>.Dockerfile for every service from deploy/docker/Dockerfile.template
// (`node tools/deploy/generate-dockerfiles.cjs`). The unit spec tools/deploy/dockerfiles.spec.ts checks
// that the committed files equal this output, and that each port is the service's default port
// (DEFAULT_PORTS in libs/platform/src/settings.ts).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const templatePath = path.join(root, 'deploy', 'docker', 'Dockerfile.template');

/** Every service's image: its default port and what it is. */
const SERVICES = {
  authorize: { port: 8081, description: 'GET/POST /authorize, the login and consent pages' },
  token: { port: 8082, description: 'POST /token, /register, /jwks, the RFC 8414 metadata' },
  introspection: { port: 8083, description: 'POST /introspect (RFC 7662) and the internal /verify' },
  identity: { port: 8084, description: 'the internal credential check against LDAP' },
  revocation: { port: 8085, description: 'POST /revoke (RFC 7009), the /account dashboard, the projector' },
  suite: { port: 8080, description: 'every service in one process, embedded mode' },
  'demo-api': { port: 8090, description: 'an example RFC 6750 resource server' },
};

/** The Dockerfile of one service: the template with its name, port and description. */
function renderDockerfile(service, template = fs.readFileSync(templatePath, 'utf8')) {
  const spec = SERVICES[service];
  if (!spec) throw new Error(`unknown service ${service}`);
  return template.replaceAll('{{SERVICE}}', service).replaceAll('{{PORT}}', String(spec.port)).replaceAll('{{DESCRIPTION}}', spec.description);
}

/** deploy/docker/<service>.Dockerfile → its expected content. */
function renderAll() {
  const template = fs.readFileSync(templatePath, 'utf8');
  return Object.fromEntries(Object.keys(SERVICES).map((service) => [path.join('deploy', 'docker', `${service}.Dockerfile`), renderDockerfile(service, template)]));
}

if (require.main === module) {
  for (const [file, content] of Object.entries(renderAll())) fs.writeFileSync(path.join(root, file), content);
}

module.exports = { SERVICES, renderDockerfile, renderAll };
