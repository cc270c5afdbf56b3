import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { FAST_CHECKS } from './events/fast-checks';
import { EVENT_DEFINITIONS, isEventType, type DomainEvent } from './events/registry';

/**
 * CloudEvents-style envelope (https://cloudevents.io, spec 1.0 attribute names).
 * `subject` is the aggregate id (grant id, kid) and also the Kafka message key.
 */
export type Envelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? {
      specversion: '1.0';
      id: string;
      source: string;
      type: E['type'];
      time: string;
      subject: string;
      datacontenttype: 'application/json';
      /** Correlation id of the request that caused the event, when there was one. */
      correlationid?: string;
      data: E['data'];
    }
  : never;

const envelopeShape = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.string().min(1),
    time: z.string().datetime({ offset: true }),
    subject: z.string().min(1),
    datacontenttype: z.literal('application/json'),
    correlationid: z.string().min(1).optional(),
    data: z.unknown(),
  })
  .strict();

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
}

/** Wraps a domain event in an envelope and validates it. Throws EventValidationError on a bad payload. */
export function createEnvelope<E extends DomainEvent>(
  event: E,
  meta: { source: string; time?: Date; id?: string; correlationId?: string },
): Envelope<E> {
  const envelope = buildEnvelope(event, meta);
  // The attributes built here are valid by construction; when those taken from the caller are plain
  // non-empty strings, only the payload needs its schema (the envelope schema's datetime check is the
  // costly part of validation on the token hot path). Anything else takes the full check, and its errors.
  if (
    isNonEmpty(envelope.source) &&
    isNonEmpty(envelope.subject) &&
    isNonEmpty(envelope.id) &&
    isEventType(envelope.type) &&
    (envelope.correlationid === undefined || isNonEmpty(envelope.correlationid)) &&
    // toISOString of a year 0000-9999: YYYY-MM-DDTHH:mm:ss.sssZ, what the datetime check accepts.
    envelope.time.length === 24
  ) {
    if (FAST_CHECKS[envelope.type]?.(envelope.data)) return envelope;
    const data = EVENT_DEFINITIONS[envelope.type].data.safeParse(envelope.data);
    if (!data.success) throw new EventValidationError(`invalid ${envelope.type}: ${data.error.issues.map(formatIssue).join('; ')}`);
    return { ...envelope, data: data.data } as Envelope<E>;
  }
  return validateEnvelope(envelope) as Envelope<E>;
}

const isNonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function buildEnvelope<E extends DomainEvent>(event: E, meta: { source: string; time?: Date; id?: string; correlationId?: string }): Envelope<E> {
  return {
    specversion: '1.0',
    id: meta.id ?? randomUUID(),
    source: meta.source,
    type: event.type,
    time: (meta.time ?? new Date()).toISOString(),
    subject: event.subject,
    datacontenttype: 'application/json',
    ...(meta.correlationId ? { correlationid: meta.correlationId } : {}),
    data: event.data,
  } as Envelope<E>;
}

/** Validates an envelope from anywhere (a Kafka message, a test); returns it typed or throws. */
export function validateEnvelope(candidate: unknown): Envelope {
  const parsed = envelopeShape.safeParse(candidate);
  if (!parsed.success) throw new EventValidationError(`invalid envelope: ${parsed.error.issues.map(formatIssue).join('; ')}`);
  const { type } = parsed.data;
  if (!isEventType(type)) throw new EventValidationError(`unknown event type: ${type}`);
  const data = EVENT_DEFINITIONS[type].data.safeParse(parsed.data.data);
  if (!data.success) throw new EventValidationError(`invalid ${type}: ${data.error.issues.map(formatIssue).join('; ')}`);
  return { ...parsed.data, type, data: data.data } as Envelope;
}

export function serializeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** Parses and validates bytes from the log. Throws EventValidationError for anything that is not a valid event. */
export function deserializeEnvelope(bytes: Buffer | string | null): Envelope {
  if (bytes === null) throw new EventValidationError('empty message');
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new EventValidationError('message is not JSON');
  }
  return validateEnvelope(json);
}


function formatIssue(issue: z.ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
