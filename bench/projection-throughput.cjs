#!/usr/bin/env node
// Projection throughput: the real oauth.access_token.issued.v1 events of a benchmark run (the token
// service's own, read back from the run's oauth.tokens topic), applied by libs/projections' Projector
// (one unnest upsert per batch of 500, the Kafka batch size, with the positions, in one transaction)
// into fresh copies of the tables in a new schema of the run's PostgreSQL database. Prints one JSON
// line: rows written per second of applyBatch time. Run with `node -r ./tools/aliases.cjs` (dist/).
//   BENCH_DATABASE_URL  the run's database (migrated by the token service)
//   BENCH_TOPIC_PREFIX  the run's topic prefix
'use strict';
const { randomBytes } = require('node:crypto');
const { Kafka, logLevel } = require('kafkajs');
const { PgDatabase } = require('@authz/adapters');
const { deserializeEnvelope } = require('@authz/contracts');
const { silentLogger } = require('@authz/ports');
const { accessTokensProjection, Projector, quoteIdent } = require('@authz/projections');

// Rows per applyBatch (BENCH_BATCH, default 500: the publisher's KAFKA_MAX_BATCH default).
const BATCH = Number(process.env.BENCH_BATCH ?? 500);

async function readEvents(topic) {
  const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
  const events = [];
  const consumer = kafka.consumer({ groupId: `bench-projection-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise((resolve, reject) => {
    if (remaining.size === 0) return resolve();
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            events.push({ envelope: deserializeEnvelope(message.value), topic: 'oauth.tokens', partition: batch.partition, offset: message.offset });
            if (BigInt(message.offset) + 1n >= ends.get(batch.partition)) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return events.filter((event) => accessTokensProjection.handles.includes(event.envelope.type));
}

async function main() {
  const events = await readEvents(`${process.env.BENCH_TOPIC_PREFIX}oauth.tokens`);
  const schema = `bench_projection_${randomBytes(4).toString('hex')}`;
  const db = new PgDatabase({ connectionString: process.env.BENCH_DATABASE_URL, logger: silentLogger });
  try {
    await db.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    for (const table of [...accessTokensProjection.tables, 'projection_positions']) {
      await db.query(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(table)} (LIKE public.${quoteIdent(table)} INCLUDING ALL)`);
    }
    const projector = new Projector(accessTokensProjection, db, silentLogger, schema);
    let rows = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < events.length; i += BATCH) rows += await projector.applyBatch(events.slice(i, i + BATCH));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { rows: count } = await db.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.access_tokens`);
    if (count[0].n !== rows) throw new Error(`${rows} rows applied but ${count[0].n} in the table`);
    process.stdout.write(`${JSON.stringify({ events: events.length, rows, seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round(rows / seconds) })}\n`);
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await db.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
