import { Controller, Get, Injectable, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

export type HealthCheck = { name: string; check: () => Promise<void> };

/** Dependencies register their readiness checks here (Kafka, PostgreSQL, Redis, LDAP). */
@Injectable()
export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];
  private shuttingDown = false;

  register(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** Graceful shutdown began: readiness answers 503 from now on, without running the checks. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async run(timeoutMs = 2000): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }> {
    if (this.shuttingDown) return { ready: false, checks: { shutdown: 'down' } };
    const results = await Promise.all(
      this.checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, 'up'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    return { ready: results.every(([, state]) => state === 'up'), checks: Object.fromEntries(results) };
  }
}

@Controller('healthz')
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** Liveness: the process answers. */
  @Get('live')
  live() {
    return { status: 'live' };
  }

  /** Readiness: every dependency of this service answers; 503 otherwise. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply) {
    const { ready, checks } = await this.registry.run();
    reply.header('cache-control', 'no-store');
    reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  }
}

/** Rejects with `timeout` when the promise has not settled within `ms` (readiness checks, metric collectors). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}
