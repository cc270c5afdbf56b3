import { fromKafkajs, type PatchOutcome, unpatchableKafkajs } from './kafkajs-internals';

/**
 * A fix for the cost of kafkajs 2.2.4's protocol Encoder, applied once, before our first client is made
 * (createKafka), like the request queue fix beside it.
 *
 * The defect: every `new Encoder()` starts with `Buffer.alloc(512)`, a zero-filled buffer of its own (a
 * new ArrayBuffer and backing store each time), and grows by allocating another. kafkajs makes one
 * Encoder per record, one more per record header, one per varint-prefixed field group, and several per
 * batch and request: seven or more per event we publish (a record with four headers, then the growth of
 * the record's to 1 KB for the envelope). Profiled in the publisher under load (2026-11-22, `perf record`,
 * 64 concurrent publishes): the typed-array construction, backing-store allocation and their sweeping were
 * about 15% of the publishing process's CPU.
 *
 * The replacement keeps every byte kafkajs writes and the same growth sizes, and takes the memory from
 * slabs of 64 KiB that are zero-filled when made: an Encoder's buffer is a view of a slab (no allocation
 * of its own), and its bytes past what it wrote are zeros, as before (nothing of an earlier request can
 * be in them; never `Buffer.allocUnsafe`, whose pool holds whatever the process used it for, tokens
 * included). A slab is freed once no view of it is left. A buffer larger than 4 KiB is allocated alone.
 *
 * How: the constructor is `this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))`, and the static
 * `nextPowerOfTwo` has exactly one other caller, `ensureAvailable`, which is replaced here. So
 * `nextPowerOfTwo` answers 0 (the constructor's buffer is then an empty one, which V8 makes without a
 * backing store), and the first write's `ensureAvailable` takes the buffer the constructor would have
 * made (at least 512 bytes) from a slab.
 *
 * The varints. kafkajs writes each varint (a record has about a dozen: its length, offset delta, key and
 * value lengths, two per header) by pushing its bytes into an array and copying `Buffer.from(array)`,
 * and each record's timestamp delta, a varlong, through 64-bit `Long` objects: five or more allocated
 * for the value and its size alike. Here `writeUVarInt` runs kafkajs' own loop writing into the buffer,
 * and `writeVarLong` and `sizeOfVarLong` of a number within 32 bits (every timestamp delta of a batch
 * younger than 24 days) take the same loop on its zig-zag value; any other value goes to kafkajs' code.
 */
const SLAB_SIZE = 64 * 1024;
const LARGEST_FROM_SLAB = 4096;
const INITIAL_SIZE = 512;

type EncoderInternals = { buf: Buffer; offset: number; ensureAvailable(length: number): void };
/** What the patch and its tests use of kafkajs' Encoder. */
type KafkajsEncoder = EncoderInternals & { readonly buffer: Buffer; writeInt8(value: number): KafkajsEncoder; writeVarIntString(value: string): KafkajsEncoder; writeUVarInt(value: number): KafkajsEncoder };
type EncoderClass = (new (initialSize?: number) => KafkajsEncoder) & {
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
  prototype: EncoderInternals & { writeUVarInt(value: number): KafkajsEncoder; writeVarLong(value: unknown): KafkajsEncoder };
};

let outcome: PatchOutcome | undefined;

let slab = Buffer.alloc(SLAB_SIZE);
let used = 0;

/** A zero-filled buffer of `size` bytes: a view of the current slab when small enough. */
function zeroed(size: number): Buffer {
  if (size > LARGEST_FROM_SLAB) return Buffer.alloc(size);
  if (used + size > SLAB_SIZE) {
    slab = Buffer.alloc(SLAB_SIZE);
    used = 0;
  }
  const buffer = slab.subarray(used, used + size);
  used += size;
  return buffer;
}

/** kafkajs' own nextPowerOfTwo (the patched static answers 0 for the constructor). */
const nextPowerOfTwo = (value: number): number => 1 << (31 - Math.clz32(value) + 1);

function ensureAvailable(this: EncoderInternals, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = zeroed(Math.max(INITIAL_SIZE, nextPowerOfTwo(this.offset + length)));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}

/** The largest number of bytes a varint of up to 32 bits takes. */
const MAX_VARINT32_BYTES = 5;

/** kafkajs' writeUVarInt loop (the same bytes, for any value it accepts), into the buffer itself. */
function writeUVarInt(this: KafkajsEncoder, value: number): KafkajsEncoder {
  this.ensureAvailable(MAX_VARINT32_BYTES);
  const buf = this.buf;
  let offset = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[offset++] = value & 0x7f;
  this.offset = offset;
  return this;
}

/** The zig-zag encoding of a 64-bit value, for an integer number within 32 bits (else undefined: kafkajs' Long path). */
function zigZag32(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) return undefined;
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/**
 * Patches the Encoder of the kafkajs this process loads, if it is the version this fix was written for
 * (another version is left alone: its Encoder may differ).
 */
export function patchKafkajsEncoder(): PatchOutcome {
  if (outcome) return outcome === 'patched' ? 'already patched' : outcome;
  const refused = unpatchableKafkajs();
  if (refused) return (outcome = refused);
  const Encoder = kafkajsEncoder();
  Encoder.nextPowerOfTwo = () => 0;
  Encoder.prototype.ensureAvailable = ensureAvailable;
  Encoder.prototype.writeUVarInt = writeUVarInt;
  const { writeVarLong } = Encoder.prototype;
  Encoder.prototype.writeVarLong = function (this: KafkajsEncoder, value: unknown): KafkajsEncoder {
    const zigZag = zigZag32(value);
    return zigZag === undefined ? writeVarLong.call(this, value) : this.writeUVarInt(zigZag);
  };
  const sizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder);
  Encoder.sizeOfVarLong = (value: unknown): number => {
    let zigZag = zigZag32(value);
    if (zigZag === undefined) return sizeOfVarLong(value);
    let bytes = 1;
    while (zigZag >= 0x80) {
      bytes += 1;
      zigZag = Math.floor(zigZag / 0x80);
    }
    return bytes;
  };
  return (outcome = 'patched');
}

/** The Encoder class the patch changes (for its tests). */
export function kafkajsEncoder(): EncoderClass {
  return fromKafkajs('./src/protocol/encoder') as EncoderClass;
}
