import { createHash } from 'node:crypto';
import { kafkajsEncoder, patchKafkajsEncoder } from './kafkajs-encoder';
import { fromKafkajs } from './kafkajs-internals';

type Message = { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>; timestamp: number };
/** kafkajs internals, from the same (Node, not jest) module instance the patch changes. */
const produceRequest = fromKafkajs('./src/protocol/requests/produce/v3/request') as (args: Record<string, unknown>) => { encode(): Promise<unknown> };
const encodeRequest = fromKafkajs('./src/protocol/request') as (args: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
const Long = fromKafkajs('./src/utils/long') as { fromValue(value: number): unknown };

/** A whole Produce request on the wire: two topics, several partitions, every kind of key, value and header. */
async function wireBytes(): Promise<Buffer> {
  const big = 'x'.repeat(9000); // beyond a slab's largest piece: allocated alone
  const messages = (partition: number): Message[] =>
    Array.from({ length: 40 }, (_, i) => ({
      key: i % 5 === 0 ? null : i % 5 === 1 ? Buffer.from([i, 255, 0, partition]) : `subject-${partition}-${i}-é`,
      value: i % 13 === 0 ? null : i % 17 === 0 ? big : i % 3 === 0 ? Buffer.from(JSON.stringify({ i, partition })) : JSON.stringify({ specversion: '1.0', id: `id-${i}`, data: { n: i, s: 'ünïcödé 😀' } }),
      headers: i % 7 === 0 ? {} : { 'content-type': 'application/cloudevents+json', ce_type: 'oauth.access_token.issued.v1', ce_id: `id-${i}`, multi: ['a', Buffer.from('b')] },
      timestamp: 1_700_000_000_000 + i,
    }));
  const request = produceRequest({
    acks: -1,
    timeout: 5000,
    producerId: Long.fromValue(4242),
    producerEpoch: 3,
    topicData: [
      { topic: 'oauth.tokens', partitions: [0, 1, 2].map((partition) => ({ partition, firstSequence: 10 * partition, messages: messages(partition) })) },
      { topic: 'oauth.authorization_codes', partitions: [{ partition: 5, firstSequence: 0, messages: messages(5).slice(0, 3) }] },
    ],
  });
  return (await encodeRequest({ correlationId: 77, clientId: 'authz-token', request })).buffer;
}

/**
 * SHA-256 of wireBytes() as kafkajs 2.2.4's own Encoder writes it (73,410 bytes), computed in a process
 * where nothing was patched: the reference even where another spec of this jest worker patched first.
 */
const KAFKAJS_WIRE_BYTES_SHA256 = 'b99034f4aa71bdd57b21d48c927c57abf888efe9d10c1edcbf1e2fed8e9fc648';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the kafkajs Encoder fix', () => {
  let before: Buffer;

  beforeAll(async () => {
    before = Buffer.from(await wireBytes()); // kafkajs' own Encoder
    expect(['patched', 'already patched']).toContain(patchKafkajsEncoder());
  });

  it('is applied once: a second call changes nothing', () => {
    expect(patchKafkajsEncoder()).toBe('already patched');
  });

  it('writes exactly the bytes kafkajs wrote, request after request', async () => {
    expect([before.length, sha256(before)]).toEqual([73_410, KAFKAJS_WIRE_BYTES_SHA256]);
    for (let i = 0; i < 5; i += 1) expect(sha256(await wireBytes())).toBe(KAFKAJS_WIRE_BYTES_SHA256);
  });

  it('hands out zeros past what an encoder wrote, never bytes of an earlier encoder', () => {
    const Encoder = kafkajsEncoder();
    const secrets = Array.from({ length: 200 }, (_, i) => new Encoder().writeVarIntString(`secret-${i}-${'s'.repeat(i * 10)}`));
    expect(secrets.every((encoder) => encoder.buffer.toString().includes('secret-'))).toBe(true);
    for (let i = 0; i < 200; i += 1) {
      const encoder = new Encoder().writeInt8(1);
      expect(encoder.buf.length).toBeGreaterThanOrEqual(512);
      expect(encoder.buf.subarray(encoder.offset).every((byte: number) => byte === 0)).toBe(true);
    }
  });

  it('grows an encoder past its first buffer and past a slab piece, keeping what it wrote', () => {
    const Encoder = kafkajsEncoder();
    const encoder = new Encoder();
    const parts: string[] = [];
    for (let i = 0; i < 3000; i += 1) {
      parts.push(`part-${i};`);
      encoder.writeVarIntString(`part-${i};`);
    }
    const bytes = encoder.buffer;
    // Each string is a zig-zag varint length (1 byte here) and its bytes.
    let at = 0;
    for (const part of parts) {
      expect(bytes[at]).toBe(part.length * 2);
      expect(bytes.subarray(at + 1, at + 1 + part.length).toString()).toBe(part);
      at += 1 + part.length;
    }
    expect(at).toBe(bytes.length);
  });

  it('writes every varint and varlong as Kafka defines them (zig-zag, then 7 bits per byte, low first), and sizes them alike', () => {
    const Encoder = kafkajsEncoder() as unknown as (new () => { buffer: Buffer; writeUVarInt(value: number): unknown; writeVarInt(value: number): unknown; writeVarLong(value: unknown): unknown }) & { sizeOfVarLong(value: unknown): number };
    const leb128 = (unsigned: bigint): number[] => {
      const bytes: number[] = [];
      for (; unsigned >= 0x80n; unsigned >>= 7n) bytes.push(Number(unsigned & 0x7fn) | 0x80);
      return [...bytes, Number(unsigned)];
    };
    const zigZag = (value: bigint, bits: 32 | 64): bigint => BigInt.asUintN(bits, (value << 1n) ^ (value >> BigInt(bits - 1)));
    const written = (write: (encoder: InstanceType<typeof Encoder>) => unknown): number[] => {
      const encoder = new Encoder();
      write(encoder);
      return [...encoder.buffer];
    };
    for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]) {
      expect([value, written((encoder) => encoder.writeUVarInt(value))]).toEqual([value, leb128(BigInt(value))]);
    }
    for (const value of [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)]) {
      expect([value, written((encoder) => encoder.writeVarInt(value))]).toEqual([value, leb128(zigZag(BigInt(value), 32))]);
    }
    // Within 32 bits the patched path, beyond it kafkajs' Long path: the same encoding either way.
    const longs = [0, 1, -1, 63, -64, 64, 127, 128, 8191, 8192, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 40 + 3, -(2 ** 45), 1_700_000_000_123, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (const value of longs) {
      const expected = leb128(zigZag(BigInt(value), 64));
      expect([value, written((encoder) => encoder.writeVarLong(value)), Encoder.sizeOfVarLong(value)]).toEqual([value, expected, expected.length]);
      expect([value, written((encoder) => encoder.writeVarLong(Long.fromValue(value))), Encoder.sizeOfVarLong(Long.fromValue(value))]).toEqual([value, expected, expected.length]);
    }
  });
});
