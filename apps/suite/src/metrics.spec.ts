/**
 * GET /metrics (README "Metrics"): the text exposition format, no-store, one registry per app (two
 * suites in one process do not collide), request series by route template and /token by grant type
 * and RFC error code.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, createLogger, loadSettings } from '@authz/platform';
import { type Logger, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const DEMO_SERVICE = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;
const apps: NestFastifyApplication[] = [];

async function suite(logger: Logger = silentLogger): Promise<NestFastifyApplication> {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER: 'https://issuer.test', LOG_LEVEL: 'silent' });
  const app = await createHttpApp(SuiteAppModule.create(settings, logger), logger);
  apps.push(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function token(app: NestFastifyApplication, body: Record<string, string>) {
  return app.getHttpAdapter().getInstance().inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: DEMO_SERVICE },
    payload: new URLSearchParams(body).toString(),
  });
}

/** The sample lines of the exposition whose name starts with `name`. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name));
}

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describe('GET /metrics', () => {
  it('counts requests per route template and /token per grant type and error, in each app its own registry', async () => {
    const first = await suite();
    const second = await suite();

    expect((await token(first, { grant_type: 'client_credentials', scope: 'api:read' })).statusCode).toBe(200);
    expect((await token(first, { grant_type: 'client_credentials', scope: 'api:read' })).statusCode).toBe(200);
    expect((await token(first, { grant_type: 'urn:example:unknown' })).statusCode).toBe(400);
    expect((await token(first, { grant_type: 'client_credentials', scope: 'nope' })).statusCode).toBe(400);
    const missing = await first.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/no/such/path?code=abc' });
    expect(missing.statusCode).toBe(404);
    expect((await token(second, { grant_type: 'client_credentials' })).statusCode).toBe(200);

    const response = await first.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const text = response.body;

    expect(samples(text, 'authz_token_request_duration_seconds_count').sort()).toEqual([
      'authz_token_request_duration_seconds_count{service="suite",grant_type="client_credentials",error="invalid_scope"} 1',
      'authz_token_request_duration_seconds_count{service="suite",grant_type="client_credentials",error="none"} 2',
      'authz_token_request_duration_seconds_count{service="suite",grant_type="other",error="unsupported_grant_type"} 1',
    ]);
    expect(samples(text, 'authz_http_server_request_duration_seconds_count').sort()).toEqual([
      'authz_http_server_request_duration_seconds_count{service="suite",method="GET",route="unmatched",status_code="404"} 1',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/token",status_code="200"} 2',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/token",status_code="400"} 2',
    ]);
    expect(samples(text, 'authz_http_server_request_duration_seconds_bucket{le="+Inf",service="suite",method="POST",route="/token",status_code="200"}')).toEqual([
      'authz_http_server_request_duration_seconds_bucket{le="+Inf",service="suite",method="POST",route="/token",status_code="200"} 2',
    ]);
    // Bounded cardinality: never the raw URL.
    expect(text).not.toContain('/no/such/path');
    // The default process and Node.js series, with the service label.
    expect(samples(text, 'process_cpu_user_seconds_total{service="suite"}')).toHaveLength(1);
    expect(samples(text, 'nodejs_eventloop_lag_seconds{service="suite"}')).toHaveLength(1);

    // The projector's position, read from projection_positions at scrape time (the in-process bus delivers after a few ms).
    let positions: string[] = [];
    for (let attempt = 0; attempt < 50 && positions.length === 0; attempt += 1) {
      positions = samples((await first.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/metrics' })).body, 'authz_projection_position{projection="access_tokens"');
      if (positions.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(positions).toEqual([expect.stringMatching(/^authz_projection_position\{projection="access_tokens",topic="oauth\.tokens",partition="0",service="suite"\} \d+$/)]);

    const other = (await second.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/metrics' })).body;
    expect(samples(other, 'authz_token_request_duration_seconds_count')).toEqual([
      'authz_token_request_duration_seconds_count{service="suite",grant_type="client_credentials",error="none"} 1',
    ]);
  });

  it('writes no log line per request at info level (logging, and so its redaction, is off the hot path)', async () => {
    const lines: string[] = [];
    const app = await suite(createLogger({ service: 'suite', instanceId: 'spec', level: 'info', destination: { write: (line: string) => void lines.push(line) } }));
    const before = lines.length;
    for (let index = 0; index < 20; index += 1) {
      expect((await token(app, { grant_type: 'client_credentials', scope: 'api:read' })).statusCode).toBe(200);
      expect((await token(app, { grant_type: 'client_credentials', scope: 'nope' })).statusCode).toBe(400);
    }
    expect(lines.slice(before)).toEqual([]);
  });
});
