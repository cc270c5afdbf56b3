import type { DomainEvent, Envelope } from '@authz/contracts';

export type PublishMeta = { correlationId?: string };

/**
 * Appends events to the log. `publish` resolves only once the log has acknowledged the event
 * (Kafka: acks=-1 on an idempotent producer), so a caller may answer its client after awaiting it.
 * It rejects with EventLogUnavailableError, within a bounded time, when the log cannot take the event.
 */
export interface EventPublisher {
  publish<E extends DomainEvent>(event: E, meta?: PublishMeta): Promise<Envelope<E>>;
  /** Verifies that the log can be reached (readiness). */
  ping(): Promise<void>;
  /** Flushes what is pending and releases connections. */
  close(): Promise<void>;
}

export class EventLogUnavailableError extends Error {
  override readonly name = 'EventLogUnavailableError';
}
