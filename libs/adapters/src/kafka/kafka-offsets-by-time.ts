import type { Kafka } from 'kafkajs';
import { retryTransientMetadata } from './kafka-retry';

/**
 * Kafka's ListOffsets by timestamp, per partition: the first offset whose message timestamp is at or
 * after `timeMs`; the partition's end when no message is that late (so a reader starting there reads
 * nothing old). One admin client, connected on first use; `close` disconnects it.
 */
export function kafkaOffsetsByTime(kafka: Kafka): { offsetAtTime: (topic: string, partition: number, timeMs: number) => Promise<string>; close: () => Promise<void> } {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  const cache = new Map<string, Promise<Map<number, string>>>();
  const offsets = async (topic: string, timeMs: number): Promise<Map<number, string>> => {
    connected ??= admin.connect();
    await connected;
    const [byTime, ends] = await Promise.all([
      retryTransientMetadata(() => admin.fetchTopicOffsetsByTimestamp(topic, timeMs)),
      retryTransientMetadata(() => admin.fetchTopicOffsets(topic)),
    ]);
    const high = new Map(ends.map((end) => [end.partition, end.high]));
    return new Map(byTime.map((entry) => [entry.partition, entry.offset === '-1' ? (high.get(entry.partition) ?? '0') : entry.offset]));
  };
  return {
    async offsetAtTime(topic, partition, timeMs) {
      const key = `${topic}@${timeMs}`;
      let found = cache.get(key);
      if (!found) {
        found = offsets(topic, timeMs);
        cache.set(key, found);
      }
      return (await found).get(partition) ?? '0';
    },
    async close() {
      if (connected) await admin.disconnect();
    },
  };
}
