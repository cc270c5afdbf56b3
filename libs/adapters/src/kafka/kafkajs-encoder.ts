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
 */
const SLAB_SIZE = 64 * 1024;
const LARGEST_FROM_SLAB = 4096;
const INITIAL_SIZE = 512;

type EncoderInternals = { buf: Buffer; offset: number; ensureAvailable(length: number): void };
/** What the patch and its tests use of kafkajs' Encoder. */
type KafkajsEncoder = EncoderInternals & { readonly buffer: Buffer; writeInt8(value: number): KafkajsEncoder; writeVarIntString(value: string): KafkajsEncoder };
type EncoderClass = (new (initialSize?: number) => KafkajsEncoder) & { nextPowerOfTwo(value: number): number; prototype: EncoderInternals };

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
  return (outcome = 'patched');
}

/** The Encoder class the patch changes (for its tests). */
export function kafkajsEncoder(): EncoderClass {
  return fromKafkajs('./src/protocol/encoder') as EncoderClass;
}
