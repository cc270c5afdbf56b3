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

/** How long identical kafkajs warnings and errors are folded into one line, ms. */
const REPEAT_WINDOW_MS = 10_000;
/** The most distinct entries remembered for folding (a bound on memory; the map starts over past it). */
const REPEAT_KEYS_MAX = 1000;

/**
 * Routes kafkajs' own logging into our Logger (instead of its console output), as `kafkajs` child
 * entries carrying kafkajs' namespace (Consumer, Producer, Connection…) and fields.
 *
 * While a broker is down kafkajs repeats the same connection error for every retry of every client
 * (hundreds of lines in twenty seconds): a warning or error identical to one logged less than
 * REPEAT_WINDOW_MS ago (same level, namespace, message and broker) is counted instead, and the next one
 * logged after the window says how many were folded (`repeated`).
 */
export function kafkaLogCreator(logger: Logger, options: { now?: () => number } = {}): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const now = options.now ?? Date.now;
  const recent = new Map<string, { loggedAt: number; folded: number }>();
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, ...fields } = entry.log;
    const level = REVISED_LEVELS.find((rule) => rule.matches(entry))?.level ?? LEVEL_OF[entry.level] ?? 'debug';
    let repeated = 0;
    if (level === 'warn' || level === 'error') {
      const key = `${level}\u0000${entry.namespace}\u0000${message}\u0000${String((fields as { broker?: unknown }).broker ?? '')}`;
      const at = now();
      const seen = recent.get(key);
      if (seen && at - seen.loggedAt < REPEAT_WINDOW_MS) {
        seen.folded += 1;
        return;
      }
      repeated = seen?.folded ?? 0;
      if (recent.size >= REPEAT_KEYS_MAX) recent.clear();
      recent.set(key, { loggedAt: at, folded: 0 });
    }
    kafkaLogger[level]({ namespace: entry.namespace, ...fields, ...(repeated > 0 ? { repeated } : {}) }, message);
  };
}
