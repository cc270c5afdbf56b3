import pino from 'pino';
import type { Logger } from '@authz/ports';
import { redactRecord, scrubString } from './redaction';

/**
 * The JSON logger of every service (pino). Every record, every child logger's bindings and every
 * message go through the redaction of ./redaction.ts: sensitive keys at any depth, Errors (and their
 * causes) flattened and scrubbed, and credential-looking strings (JWTs, `Bearer …`, `code=…`, URL
 * passwords) replaced wherever they occur. It runs only for records at an enabled level, after pino's
 * level check: a disabled `debug` call costs nothing.
 */
export function createLogger(options: { service: string; instanceId: string; level: string; destination?: pino.DestinationStream }): Logger {
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instanceId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactRecord(bindings),
        log: (record) => redactRecord(record),
      },
      hooks: {
        logMethod(args, method) {
          for (let index = 0; index < args.length; index += 1) {
            const arg = args[index];
            if (typeof arg === 'string') args[index] = scrubString(arg);
          }
          // An Error as the only argument: pino would log it under `err`; make it a record like the others.
          if (args[0] instanceof Error) args[0] = { err: args[0] };
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
  // pino applies formatters.bindings to the root's bindings only; a child's go through here (children
  // are created from their parent's prototype, so they inherit this method too).
  const child = logger.child;
  logger.child = function redactedChild(this: typeof logger, bindings, childOptions) {
    return child.call(this, redactRecord(bindings), childOptions);
  } as typeof logger.child;
  return logger as unknown as Logger;
}
