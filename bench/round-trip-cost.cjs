#!/usr/bin/env node
// The token service's own CPU cost of one round trip to a dependency, on this machine: N sequential
// round trips through the same clients the services use (ioredis, pg), CPU time (user + system) of this
// process per round trip. A code exchange or a refresh makes several of them per request; their sum is a
// floor no in-memory server pays (see docs/benchmarks.md). Run: taskset -c 0 node bench/round-trip-cost.cjs
// with REDIS_URL and DATABASE_URL set (deploy/local/services.sh up).
'use strict';
const { Redis } = require('ioredis');
const pg = require('pg');
const N = 20000;
async function measure(name, fn, roundTrips = 1) {
  for (let i = 0; i < 2000; i++) await fn(i);
  const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(i);
  const c = process.cpuUsage(c0); const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const per = N * roundTrips;
  console.log(`${name}: ${((c.user + c.system) / per).toFixed(1)} µs CPU per round trip (user ${(c.user / per).toFixed(1)}, sys ${(c.system / per).toFixed(1)}), ${(wall / per).toFixed(1)} µs wall`);
}
(async () => {
  const redis = new Redis(process.env.REDIS_URL);
  await measure('redis GET', () => redis.get('nothing'));
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL }); await client.connect();
  await measure('pg SELECT $1', (i) => client.query('SELECT $1::int AS n', [i]));
  await measure('pg BEGIN, then COMMIT', () => client.query('BEGIN').then(() => client.query('COMMIT')), 2);
  redis.disconnect(); await client.end();
})();
