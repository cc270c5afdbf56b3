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
    '  or log in as alice in a browser (the authorization code flow; README: "The authorization code flow"):',
    `    ${base}/authorize?response_type=code&client_id=demo-web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8091%2Fcallback&scope=profile%20api%3Aread&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`,
    '',
  ].join('\n');
}
