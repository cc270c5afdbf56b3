import { createRequire } from 'node:module';

/** The kafkajs release our fixes of its internals were written for (kafkajs-request-queue.ts, kafkajs-encoder.ts). */
export const KAFKAJS_PATCHED_VERSION = '2.2.4';

/** What applying one of those fixes did. */
export type PatchOutcome = 'patched' | 'already patched' | `not patched: ${string}`;

/** A module of the kafkajs package this process loads (its internals are not exported). */
export function fromKafkajs(path: string): unknown {
  return createRequire(require.resolve('kafkajs'))(path);
}

/** Why a fix must not be applied to the kafkajs this process loads (another version: its code may differ), or undefined. */
export function unpatchableKafkajs(): `not patched: ${string}` | undefined {
  const version = (fromKafkajs('./package.json') as { version: string }).version;
  return version === KAFKAJS_PATCHED_VERSION ? undefined : `not patched: kafkajs ${version}, the fix is for ${KAFKAJS_PATCHED_VERSION}`;
}
