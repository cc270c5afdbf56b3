/** What a newcomer needs after `npm start`: the issuer, a demo client, a demo user, a first request. */
export function banner(issuer: string, mode: string, startupMs: number): string {
  const base = issuer.replace(/\/$/, '');
  return [
    '',
    `  authz-suite is running (${mode} mode, started in ${startupMs} ms)`,
    '',
    `  issuer      ${issuer}`,
    `  metadata    ${base}/.well-known/oauth-authorization-server`,
    '  client      demo-service / hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU   (client_credentials, scopes api:read api:write)',
    '  resource    demo-api / NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU   (may call /introspect)',
    '  user        alice / alice-password   (from deploy/seed/users.ldif)',
    '',
    '  try:',
    `    curl -s -u demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU -d grant_type=client_credentials ${base}/token`,
    '',
  ].join('\n');
}
