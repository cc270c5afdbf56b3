#!/usr/bin/env node
// The CPU cost of observability on the request path and of log redaction (README "Observability").
// Run after `npm run build`: node -r ./tools/aliases.cjs bench/observability-cost.cjs
// Prints one JSON line. Each measure alternates rounds of the two variants (same machine load) and
// reports the median of the rounds, in CPU microseconds (user + system) per operation.
'use strict';
const { Writable } = require('node:stream');
const Fastify = require('fastify');
const pino = require('pino');
const { createLogger, instrumentHttp, redactRecord, ServiceMetrics, startTracing, stopTracing } = require('@authz/platform');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const LINES = Number(process.env.BENCH_LINES ?? 20000);

function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function perRequest(app) {
  const body = 'grant_type=client_credentials&scope=api%3Aread';
  const request = { method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body };
  const start = cpuMicros();
  for (let index = 0; index < REQUESTS; index += 1) await app.inject(request);
  return (cpuMicros() - start) / REQUESTS;
}

async function app(instrumented) {
  const fastify = Fastify();
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text, done) => done(null, text));
  // The hooks every service has anyway (libs/platform/src/bootstrap.ts): the baseline includes them.
  fastify.addHook('onRequest', async () => undefined);
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (instrumented) {
    const metrics = new ServiceMetrics('bench');
    instrumentHttp(fastify, () => metrics);
  }
  fastify.post('/token', async (_request, reply) => reply.header('cache-control', 'no-store').send({ access_token: 'x', token_type: 'Bearer', expires_in: 600 }));
  await fastify.ready();
  return fastify;
}

function logCost(redacting) {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = redacting
    ? createLogger({ service: 'bench', instanceId: 'b', level: 'info', destination: sink })
    : pino({ level: 'info', base: { service: 'bench', instance: 'b' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
  const record = {
    reqId: 'f3b1c2d4-1111-2222-3333-444455556666',
    clientId: 'billing',
    grantId: 'sha256:0b1c2d3e4f',
    topics: ['oauth.tokens'],
    events: 3,
    err: new Error('event batch not acknowledged', { cause }),
  };
  const start = cpuMicros();
  for (let index = 0; index < LINES; index += 1) logger.warn(record, 'event batch not acknowledged: replacing the producer');
  return (cpuMicros() - start) / LINES;
}

function redactOnly() {
  const record = { reqId: 'r', clientId: 'billing', scope: 'api:read', nested: { url: 'https://app.example/cb?state=x&code=abc', list: [1, 2, 3] } };
  const start = cpuMicros();
  for (let index = 0; index < LINES * 5; index += 1) redactRecord(record);
  return (cpuMicros() - start) / (LINES * 5);
}

function observeOnly() {
  const metrics = new ServiceMetrics('bench', { defaultMetrics: false });
  const start = cpuMicros();
  const n = REQUESTS * 100;
  for (let index = 0; index < n; index += 1) {
    metrics.observeHttp('POST', '/token', 200, 0.004);
    metrics.observeToken('client_credentials', 'none', 0.004);
  }
  return (cpuMicros() - start) / n;
}

async function main() {
  const bare = await app(false);
  const instrumented = await app(true);
  const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined, forceFlush: async () => undefined };
  // Routes registered while tracing is on get the span hooks.
  startTracing({ SERVICE: 'bench', INSTANCE_ID: 'b' }, { exporter: discard });
  const traced = await app(true);
  // Warm-up.
  await perRequest(bare);
  await perRequest(instrumented);
  await perRequest(traced);
  const rounds = { bare: [], metrics: [], traced: [], pino: [], redacted: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    // The order alternates from round to round, so that neither variant always pays for the garbage of the one before.
    const order = round % 2 === 0 ? [['bare', bare], ['metrics', instrumented], ['traced', traced]] : [['traced', traced], ['metrics', instrumented], ['bare', bare]];
    for (const [name, variant] of order) rounds[name].push(await perRequest(variant));
    rounds.pino.push(logCost(false));
    rounds.redacted.push(logCost(true));
  }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    loadavg: require('node:os').loadavg().map((value) => Number(value.toFixed(2))),
    requestCpuMicros: { bare: median(rounds.bare), withMetrics: median(rounds.metrics), withMetricsAndTracing: median(rounds.traced) },
    // Paired: each round's difference (the variants of a round ran back to back under the same load), then the median.
    requestOverheadMicros: {
      metrics: median(rounds.metrics.map((value, index) => value - rounds.bare[index])),
      metricsAndTracing: median(rounds.traced.map((value, index) => value - rounds.bare[index])),
    },
    observePairMicros: observeOnly(),
    logLineCpuMicros: { pinoAlone: median(rounds.pino), withRedaction: median(rounds.redacted) },
    redactSmallRecordMicros: redactOnly(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await stopTracing();
  await Promise.all([bare.close(), instrumented.close(), traced.close()]);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
