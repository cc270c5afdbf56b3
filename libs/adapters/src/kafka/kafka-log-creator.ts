import type { Logger } from '@authz/ports';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * kafkajs entries whose own level overstates them, and the level they are logged at instead:
 * - every error response of the broker is logged by kafkajs' Connection at error level, although
 *   the caller retries or reports it (a rebalance answering a heartbeat, a topic another replica just
 *   created…); what matters is logged where the operation fails (our publisher/subscriber, kafkajs' Runner);
 * - a rebalance is routine;
 * - we bound the idempotent producer's retries on purpose (a publish must fail within a bounded time)
 *   and replace the producer (new producer id) after a failed batch, which keeps idempotence sound
 *   (see KafkaEventPublisher).
 */
const REVISED_LEVELS: ReadonlyArray<{ matches: (entry: LogEntry) => boolean; level: Level }> = [
  { matches: ({ namespace, log }) => namespace === 'Connection' && log.message.startsWith('Response '), level: 'debug' },
  { matches: ({ log }) => log.message === 'The group is rebalancing, re-joining', level: 'info' },
  { matches: ({ log }) => log.message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees', level: 'debug' },
];

const LEVEL_OF: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Routes kafkajs' own logging into our Logger (instead of its console output), as `kafkajs` child
 * entries carrying kafkajs' namespace (Consumer, Producer, Connection…) and fields.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, ...fields } = entry.log;
    const level = REVISED_LEVELS.find((rule) => rule.matches(entry))?.level ?? LEVEL_OF[entry.level] ?? 'debug';
    kafkaLogger[level]({ namespace: entry.namespace, ...fields }, message);
  };
}
