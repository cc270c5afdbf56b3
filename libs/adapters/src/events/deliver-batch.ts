import { deserializeEnvelope, type Envelope } from '@authz/contracts';
import {
  type ConsumedEvent,
  DatabaseUnavailableError,
  DirectoryUnavailableError,
  EventLogUnavailableError,
  type Logger,
  TtlStoreUnavailableError,
} from '@authz/ports';
import type { RecentEventIds } from './recent-event-ids';

/**
 * How both event-bus adapters (Kafka and the in-memory twin) turn one partition's batch of raw
 * messages into handler calls, so that they behave the same by construction:
 *
 *  1. each message is validated (`deserializeEnvelope`); an invalid one is poison: dead-lettered, skipped;
 *  2. events this subscription handled recently (same id) are skipped (redeliveries);
 *  3. the valid events go to `handle` in log order, as one batch; a rejection is retried `maxRetries`
 *     times with exponential backoff;
 *  4. if the batch still fails, each event is handled alone with the same retries, and the ones that
 *     still fail are dead-lettered with the handler's error as the reason.
 *
 * An error that says a backing service is unavailable (the ports' `*UnavailableError`s) is not the
 * event's fault: it is retried (capped backoff) until it succeeds or the subscription stops, and never
 * dead-letters an event, so that a database restart does not empty a projection into the dead-letter topic.
 *
 * The caller commits the position after the last message only when this returns 'completed';
 * 'interrupted' (the subscription is stopping) means nothing may be committed.
 */

/** One message of a partition as the log holds it (not validated yet). */
export type RawMessage = {
  key: string | null;
  value: Buffer | null;
  headers: Readonly<Record<string, string>>;
  /** Decimal string, as Kafka gives it. */
  offset: string;
};

export type DeliveryContext = {
  topic: string;
  partition: number;
  groupId: string;
  handle: (batch: readonly ConsumedEvent[]) => Promise<void>;
  /** Retries after the first attempt, for the batch and then for each event alone. */
  maxRetries: number;
  /** First backoff; doubles per retry, capped at MAX_RETRY_BACKOFF_MS. */
  retryBackoffMs: number;
  recent: RecentEventIds;
  /** Appends the message, unchanged, to the dead-letter topic with `deadLetterHeaders`. Rejects if it could not. */
  deadLetter: (message: RawMessage, reason: string) => Promise<void>;
  /** False once the subscription is stopping: no new attempt starts, nothing is dead-lettered for a failure. */
  isRunning: () => boolean;
  /** Tells the group this consumer is alive (Kafka); called between steps. */
  heartbeat: () => Promise<void>;
  logger: Logger;
  /** Which handler errors are an outage rather than a bad event (default: the ports' *UnavailableError classes). */
  isTransient?: (error: unknown) => boolean;
};

export type DeliveryOutcome = 'completed' | 'interrupted';

export const MAX_RETRY_BACKOFF_MS = 5_000;
/** Dead-letter reasons are cut to this many characters (a header, not a log). */
const MAX_REASON_LENGTH = 1_000;

export function isUnavailableError(error: unknown): boolean {
  return (
    error instanceof DatabaseUnavailableError ||
    error instanceof TtlStoreUnavailableError ||
    error instanceof EventLogUnavailableError ||
    error instanceof DirectoryUnavailableError
  );
}

/** The headers a dead-lettered message carries besides its original ones. */
export function deadLetterHeaders(
  origin: { topic: string; partition: number; offset: string; groupId: string },
  reason: string,
): Record<string, string> {
  return {
    dlq_reason: reason.slice(0, MAX_REASON_LENGTH),
    dlq_topic: origin.topic,
    dlq_partition: String(origin.partition),
    dlq_offset: origin.offset,
    dlq_group: origin.groupId,
  };
}

type Pending = { event: ConsumedEvent; message: RawMessage };
type Attempt = { kind: 'handled' } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' };

export async function deliverBatch(messages: readonly RawMessage[], ctx: DeliveryContext): Promise<DeliveryOutcome> {
  const { topic, partition } = ctx;
  const pending: Pending[] = [];
  for (const message of messages) {
    if (!ctx.isRunning()) return 'interrupted';
    let envelope: Envelope;
    try {
      envelope = deserializeEnvelope(message.value);
    } catch (error) {
      const reason = describeError(error);
      ctx.logger.warn({ topic, partition, offset: message.offset, groupId: ctx.groupId, reason }, 'invalid message: sent to the dead-letter topic');
      await ctx.deadLetter(message, reason);
      continue;
    }
    if (ctx.recent.has(envelope.id)) {
      ctx.logger.debug({ topic, partition, offset: message.offset, eventId: envelope.id }, 'event delivered again: skipped');
      continue;
    }
    pending.push({ event: { envelope, topic, partition, offset: message.offset }, message });
  }
  if (pending.length === 0) return 'completed';

  const whole = await attempt(
    pending.map((item) => item.event),
    ctx,
  );
  if (whole.kind === 'interrupted') return 'interrupted';
  if (whole.kind === 'handled') {
    for (const item of pending) ctx.recent.add(item.event.envelope.id);
    return 'completed';
  }

  if (pending.length > 1) {
    ctx.logger.warn(
      { topic, partition, groupId: ctx.groupId, size: pending.length, error: describeError(whole.error) },
      'batch still failing after its retries: handling its events one by one',
    );
  }
  for (const item of pending) {
    const alone = pending.length === 1 ? whole : await attempt([item.event], ctx);
    if (alone.kind === 'interrupted') return 'interrupted';
    if (alone.kind === 'failed') {
      const reason = `handler failed after ${ctx.maxRetries + 1} attempts: ${describeError(alone.error)}`;
      ctx.logger.error(
        { topic, partition, offset: item.event.offset, groupId: ctx.groupId, eventId: item.event.envelope.id, type: item.event.envelope.type, reason },
        'event sent to the dead-letter topic',
      );
      await ctx.deadLetter(item.message, reason);
    }
    ctx.recent.add(item.event.envelope.id);
    await ctx.heartbeat();
  }
  return 'completed';
}

async function attempt(batch: readonly ConsumedEvent[], ctx: DeliveryContext): Promise<Attempt> {
  const isTransient = ctx.isTransient ?? isUnavailableError;
  for (let retry = 0; ; retry++) {
    if (!ctx.isRunning()) return { kind: 'interrupted' };
    try {
      await ctx.handle(batch);
      return { kind: 'handled' };
    } catch (error) {
      const transient = isTransient(error);
      if (!transient && retry >= ctx.maxRetries) return { kind: 'failed', error };
      const backoffMs = Math.min(ctx.retryBackoffMs * 2 ** retry, MAX_RETRY_BACKOFF_MS);
      const log = retry === 0 ? ctx.logger.warn.bind(ctx.logger) : ctx.logger.debug.bind(ctx.logger);
      log(
        { topic: ctx.topic, partition: ctx.partition, groupId: ctx.groupId, size: batch.length, retry: retry + 1, backoffMs, transient, error: describeError(error) },
        transient ? 'handler reports an unavailable service: retrying until it answers' : 'handler failed: retrying',
      );
      await pauseWhileRunning(backoffMs, ctx.isRunning);
      await ctx.heartbeat();
    }
  }
}

/** Sleeps `ms`, waking early (within 50 ms) when the subscription stops, so that stop() is not held up by a backoff. */
async function pauseWhileRunning(ms: number, isRunning: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (isRunning()) {
    const left = until - Date.now();
    if (left <= 0) return;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(left, 50)));
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
