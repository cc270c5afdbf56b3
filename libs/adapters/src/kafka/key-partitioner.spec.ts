import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { KeyPartitioner, murmur2 } from './key-partitioner';

/** kafkajs' own murmur2 (Long arithmetic): the reference, with the Java client's test vectors. */
const kafkajsMurmur2 = createRequire(require.resolve('kafkajs'))('./src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: leaderless.includes(partitionId) ? -1 : 0, replicas: [0], isr: [0] }));

const args = (message: PartitionerArgs['message'], partitions = 12, topic = 'oauth.tokens'): PartitionerArgs => ({ topic, partitionMetadata: metadata(partitions), message });

describe('KeyPartitioner', () => {
  it("computes the Java client's murmur2 (org.apache.kafka.common.utils.UtilsTest.testMurmur2 vectors)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of vectors) {
      expect([key, murmur2(key)]).toEqual([key, expected]);
      expect([key, murmur2(Buffer.from(key))]).toEqual([key, expected]);
      expect([key, kafkajsMurmur2(key)]).toEqual([key, expected]);
    }
  });

  it("equals kafkajs' murmur2 on every length, on ASCII and non-ASCII strings and on bytes", () => {
    const keys: Array<Buffer | string> = [''];
    for (let length = 1; length <= 80; length += 1) {
      keys.push(randomBytes(length));
      keys.push(randomBytes(length).toString('base64url').slice(0, length));
      keys.push(`user-é-${'ü'.repeat(length % 7)}-😀-${length}`);
    }
    for (let i = 0; i < 500; i += 1) keys.push(randomBytes(18).toString('hex'), `grant-${i}`, randomBytes(40));
    for (const key of keys) expect([key, murmur2(key)]).toEqual([key, kafkajsMurmur2(key)]);
  });

  it("chooses the partition kafkajs' DefaultPartitioner chooses for every key, whatever the partition count", () => {
    const ours = KeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 2, 3, 6, 12, 24, 100]) {
      for (let i = 0; i < 300; i += 1) {
        const key = i % 3 === 0 ? randomBytes(16) : i % 3 === 1 ? `client-${i}` : `sub-ñ-${i}`;
        const message = { key, value: 'x' };
        expect(ours(args(message, partitions))).toBe(theirs(args(message, partitions)));
      }
    }
  });

  it('keeps an explicit partition', () => {
    expect(KeyPartitioner()(args({ key: 'k', value: 'x', partition: 7 }))).toBe(7);
    expect(KeyPartitioner()(args({ key: 'k', value: 'x', partition: 0 }))).toBe(0);
  });

  it('spreads keyless messages round robin over the partitions that have a leader', () => {
    const partitioner = KeyPartitioner();
    const chosen = Array.from({ length: 60 }, () => partitioner({ topic: 't', partitionMetadata: metadata(6, [2, 4]), message: { value: 'x' } }));
    expect(new Set(chosen)).toEqual(new Set([0, 1, 3, 5]));
    for (const partition of [0, 1, 3, 5]) expect(chosen.filter((p) => p === partition)).toHaveLength(15);
    // With no leader anywhere it still answers a partition (the send then fails and is retried).
    const none = partitioner({ topic: 'u', partitionMetadata: metadata(3, [0, 1, 2]), message: { value: 'x' } });
    expect([0, 1, 2]).toContain(none);
  });
});
