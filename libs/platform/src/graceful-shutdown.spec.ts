import 'reflect-metadata';
import { Agent, request as httpRequest } from 'node:http';
import { Controller, Get, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { silentLogger } from '@authz/ports';
import { createHttpApp } from './bootstrap';
import { shutDownGracefully } from './graceful-shutdown';
import { PlatformModule } from './platform.module';
import { loadSettings } from './settings';

const events: string[] = [];
let releaseSlow!: () => void;

@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<{ done: true }> {
    events.push('slow request started');
    await new Promise<void>((resolve) => (releaseSlow = resolve));
    events.push('slow request answered');
    return { done: true };
  }
}

@Injectable()
class Publisher implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    events.push('modules closed');
  }
}

@Module({ imports: [PlatformModule.forRoot(loadSettings('token', {}, { LOG_LEVEL: 'silent' }), silentLogger)], controllers: [SlowController], providers: [Publisher] })
class TestModule {}

/** One GET on a fresh connection (keep-alive asked for): status, Connection header and body, or the connection error's code. */
function get(port: number, path: string): Promise<{ status: number; connection: string | undefined; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const request = httpRequest({ host: '127.0.0.1', port, path, agent }, (response) => {
      response.on('end', () => agent.destroy());
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    request.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shutDownGracefully', () => {
  it('readiness 503 at once, serves during the delay, then stops accepting, lets the request in flight finish, and only then closes the modules', async () => {
    const app = await createHttpApp(TestModule, silentLogger);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.getHttpServer().address() as { port: number }).port;
    expect(await get(port, '/healthz/ready')).toEqual({ status: 200, connection: 'keep-alive', body: '{"status":"ready","checks":{}}' });

    const slow = get(port, '/slow');
    while (!events.includes('slow request started')) await sleep(10);
    const shutdown = shutDownGracefully(app, { delayMs: 300, timeoutMs: 5000, logger: silentLogger });

    // During the delay: readiness 503, everything else served.
    expect(await get(port, '/healthz/ready')).toEqual({ status: 503, connection: 'keep-alive', body: '{"status":"unavailable","checks":{"shutdown":"down"}}' });
    expect(await get(port, '/healthz/live')).toEqual({ status: 200, connection: 'keep-alive', body: '{"status":"live"}' });
    await sleep(400);
    // After it: no new connection, the request in flight still running, the modules still open.
    expect(await get(port, '/healthz/live')).toEqual({ error: 'ECONNREFUSED' });
    expect(events).toEqual(['slow request started']);

    releaseSlow();
    // Draining: the answer closes its keep-alive connection.
    expect(await slow).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
    await shutdown;
    expect(events).toEqual(['slow request started', 'slow request answered', 'modules closed']);
  });

  it('closes connections still busy after the timeout, then the modules', async () => {
    events.length = 0;
    const app = await createHttpApp(TestModule, silentLogger);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.getHttpServer().address() as { port: number }).port;
    const slow = get(port, '/slow');
    while (!events.includes('slow request started')) await sleep(10);
    const started = Date.now();
    await shutDownGracefully(app, { delayMs: 0, timeoutMs: 300, logger: silentLogger });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await slow).toEqual({ error: 'ECONNRESET' });
    expect(events).toEqual(['slow request started', 'modules closed']);
    releaseSlow();
  });
});
