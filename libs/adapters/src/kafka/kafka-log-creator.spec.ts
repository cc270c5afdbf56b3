import type { Logger } from '@authz/ports';
import { logLevel } from 'kafkajs';
import { kafkaLogCreator } from './kafka-log-creator';

function recordingLogger() {
  const entries: Array<{ level: string; obj: object; msg?: string; bindings: Record<string, unknown> }> = [];
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (obj, msg) => void entries.push({ level: 'debug', obj, msg, bindings }),
    info: (obj, msg) => void entries.push({ level: 'info', obj, msg, bindings }),
    warn: (obj, msg) => void entries.push({ level: 'warn', obj, msg, bindings }),
    error: (obj, msg) => void entries.push({ level: 'error', obj, msg, bindings }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return { entries, logger: make({}) };
}

describe('kafkaLogCreator', () => {
  const entry = (level: logLevel, namespace: string, message: string, extra: object = {}) => ({
    namespace,
    level,
    label: logLevel[level],
    log: { timestamp: '2025-01-01T00:00:00.000Z', message, ...extra },
  });

  it("maps kafkajs levels to the Logger's, with kafkajs' namespace and fields", () => {
    const { entries, logger } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Consumer', 'Crash: boom', { groupId: 'g' }));
    log(entry(logLevel.WARN, 'Producer', 'careful'));
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    log(entry(logLevel.DEBUG, 'Connection', 'Request Metadata'));
    expect(entries).toEqual([
      { level: 'error', obj: { namespace: 'Consumer', groupId: 'g' }, msg: 'Crash: boom', bindings: { component: 'kafkajs' } },
      { level: 'warn', obj: { namespace: 'Producer' }, msg: 'careful', bindings: { component: 'kafkajs' } },
      { level: 'info', obj: { namespace: 'Consumer' }, msg: 'Starting', bindings: { component: 'kafkajs' } },
      { level: 'debug', obj: { namespace: 'Connection' }, msg: 'Request Metadata', bindings: { component: 'kafkajs' } },
    ]);
  });

  it('logs routine notices kafkajs overstates at a lower level', () => {
    const { entries, logger } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Connection', 'Response Heartbeat(key: 12, version: 3)', { error: 'The group is rebalancing, so a rejoin is needed' }));
    log(entry(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining'));
    log(entry(logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    log(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1'));
    expect(entries.map(({ level, msg }) => [level, msg])).toEqual([
      ['debug', 'Response Heartbeat(key: 12, version: 3)'],
      ['info', 'The group is rebalancing, re-joining'],
      ['debug', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
      ['error', 'Connection error: connect ECONNREFUSED 127.0.0.1:1'],
    ]);
  });

  it('folds a warning or error repeated within 10 s into one line, and says how many it folded', () => {
    const { entries, logger } = recordingLogger();
    let now = 0;
    const log = kafkaLogCreator(logger, { now: () => now })(logLevel.INFO);
    const refused = () => entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:1' });
    log(refused());
    for (let i = 0; i < 5; i += 1) {
      now += 1000;
      log(refused());
    }
    log(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:2' }));
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    now = 10_000;
    log(refused());
    now = 10_001;
    log(refused());
    expect(entries.map(({ level, obj, msg }) => [level, obj, msg])).toEqual([
      ['error', { namespace: 'Connection', broker: '127.0.0.1:1' }, 'Connection error: connect ECONNREFUSED 127.0.0.1:1'],
      ['error', { namespace: 'Connection', broker: '127.0.0.1:2' }, 'Connection error: connect ECONNREFUSED 127.0.0.1:1'],
      ['info', { namespace: 'Consumer' }, 'Starting'],
      ['info', { namespace: 'Consumer' }, 'Starting'],
      ['error', { namespace: 'Connection', broker: '127.0.0.1:1', repeated: 5 }, 'Connection error: connect ECONNREFUSED 127.0.0.1:1'],
    ]);
  });
});
