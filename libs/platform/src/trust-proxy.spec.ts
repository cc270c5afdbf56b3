/**
 * TRUST_PROXY mapped to Fastify's trustProxy (createHttpApp): request.ip is the client address of
 * X-Forwarded-For only through trusted hops; without the setting, the header is ignored (a client
 * cannot choose the address the brute-force counters see).
 */
import 'reflect-metadata';
import { Controller, Get, Module, Req } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { silentLogger } from '@authz/ports';
import { createHttpApp, type HttpAppOptions } from './bootstrap';

@Controller()
class WhoAmIController {
  @Get('ip')
  ip(@Req() request: FastifyRequest) {
    return { ip: request.ip };
  }
}

@Module({ controllers: [WhoAmIController] })
class WhoAmIModule {}

const apps: NestFastifyApplication[] = [];

async function ipSeen(options: HttpAppOptions, remoteAddress: string, forwardedFor?: string): Promise<string> {
  const app = await createHttpApp(WhoAmIModule, silentLogger, options);
  apps.push(app);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const response = await fastify.inject({ method: 'GET', url: '/ip', remoteAddress, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
  return (response.json() as { ip: string }).ip;
}

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describe('createHttpApp: trusted proxies', () => {
  it('ignores X-Forwarded-For without TRUST_PROXY (spoofing refused): the socket peer is the client', async () => {
    expect(await ipSeen({}, '10.0.0.5', '198.51.100.7')).toBe('10.0.0.5');
  });

  it('takes the client address from X-Forwarded-For when the peer is a trusted proxy', async () => {
    expect(await ipSeen({ trustProxy: ['10.0.0.0/8'] }, '10.0.0.5', '198.51.100.7')).toBe('198.51.100.7');
  });

  it('stops at the first untrusted hop: an address the client put in the header is not believed', async () => {
    // The client (203.0.113.9) sent "X-Forwarded-For: 6.6.6.6"; the ingress appended the client's address.
    expect(await ipSeen({ trustProxy: ['10.0.0.0/8'] }, '10.0.0.5', '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
  });

  it('ignores the header when the peer is not one of the trusted proxies', async () => {
    expect(await ipSeen({ trustProxy: ['10.0.0.0/8'] }, '203.0.113.9', '198.51.100.7')).toBe('203.0.113.9');
  });

  it('with a hop count, trusts exactly that many hops', async () => {
    expect(await ipSeen({ trustProxy: 1 }, '10.0.0.5', '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
    expect(await ipSeen({ trustProxy: 2 }, '10.0.0.5', '6.6.6.6, 203.0.113.9, 10.0.0.4')).toBe('203.0.113.9');
  });
});
