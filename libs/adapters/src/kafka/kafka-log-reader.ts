import { randomBytes } from 'node:crypto';
import { deserializeEnvelope, type Envelope } from '@authz/contracts';
import type { Logger } from '@authz/ports';
import type { Kafka } from 'kafkajs';
import { retryTransientMetadata } from './kafka-retry';

export type KafkaLogReaderOptions = { kafka: Kafka; logger: Logger; /** KAFKA_TOPIC_PREFIX */ prefix: string };

/**
 * Reads topics of the log, as they stand now, with a throw-away consumer group that never commits
 * (`<prefix>audit.<random>`, deleted afterwards): each partition from the first offset whose timestamp is
 * at or after `fromMs` (Kafka's offsets by timestamp, then a seek) or from its start, up to its high
 * watermark as of the call. Invalid messages are skipped and counted in a warning (the dead-letter topic
 * is the subscribers' business). For the audit's check of the index against the log.
 */
export class KafkaLogReader {
  constructor(private readonly options: KafkaLogReaderOptions) {}

  async read(topics: readonly string[], fromMs?: number): Promise<Envelope[]> {
    const { kafka, logger, prefix } = this.options;
    const names = topics.map((topic) => `${prefix}${topic}`);
    const admin = kafka.admin();
    await admin.connect();
    const groupId = `${prefix}audit.${randomBytes(6).toString('hex')}`;
    try {
      // Where each partition starts and ends: [start, end).
      const ranges = new Map<string, { topic: string; partition: number; start: bigint; end: bigint }>();
      for (const topic of names) {
        const ends = await retryTransientMetadata(() => admin.fetchTopicOffsets(topic));
        const byTime = fromMs === undefined ? undefined : new Map((await retryTransientMetadata(() => admin.fetchTopicOffsetsByTimestamp(topic, fromMs))).map((entry) => [entry.partition, entry.offset]));
        for (const { partition, low, high } of ends) {
          const atTime = byTime?.get(partition);
          const start = atTime === undefined ? BigInt(low) : atTime === '-1' ? BigInt(high) : BigInt(atTime);
          if (start < BigInt(high)) ranges.set(`${topic}/${partition}`, { topic, partition, start, end: BigInt(high) });
        }
      }
      if (ranges.size === 0) return [];
      const events: Array<{ key: string; offset: bigint; envelope: Envelope }> = [];
      let invalid = 0;
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      await consumer.connect();
      try {
        const pending = new Set(ranges.keys());
        let finished: () => void = () => undefined;
        const done = new Promise<void>((resolve) => (finished = resolve));
        await consumer.subscribe({ topics: [...new Set([...ranges.values()].map((range) => range.topic))], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = `${batch.topic}/${batch.partition}`;
            const range = ranges.get(key);
            if (!range) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              // Before the seek took effect, or past the end as of the call: not ours.
              if (offset < range.start || offset >= range.end) continue;
              try {
                events.push({ key, offset, envelope: deserializeEnvelope(message.value) });
              } catch {
                invalid += 1;
              }
            }
            if (BigInt(batch.lastOffset()) + 1n >= range.end) pending.delete(key);
            if (pending.size === 0) finished();
          },
        });
        for (const range of ranges.values()) consumer.seek({ topic: range.topic, partition: range.partition, offset: range.start.toString() });
        await done;
      } finally {
        await consumer.disconnect();
      }
      if (invalid > 0) logger.warn({ invalid }, 'audit log reader skipped invalid messages');
      // One partition's events in log order; partitions one after another (the caller orders by time).
      return events.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0)).map((event) => event.envelope);
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    }
  }
}
