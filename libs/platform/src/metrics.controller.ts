import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ServiceMetrics } from './metrics';

/**
 * GET /metrics: this process's series in Prometheus' text exposition format, on the service's own
 * port. For the cluster's scraper only: the ingress never routes it (README "Metrics").
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.exposition();
    await reply.status(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}
