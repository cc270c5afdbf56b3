import { createLogger } from './logger';
import { REDACTED_KEYS } from './redaction';

const SECRET = 'Zq7-must-never-be-logged-4Xv';

function capture(level = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ service: 'token', instanceId: 'pod-1', level, destination: { write: (line: string) => void lines.push(line) } });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

/** A record without what every line carries (level, time, service, instance, msg). */
function withoutBaseFields(record: Record<string, unknown>): Record<string, unknown> {
  const { level: _level, time: _time, service: _service, instance: _instance, msg: _msg, ...fields } = record;
  return fields;
}

describe('createLogger', () => {
  it('writes one JSON line with the level label, an ISO time, the service and the instance', () => {
    const { logger, lines, records } = capture();

    logger.info({ kid: 'key-1' }, 'signing key loaded');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\n$/);
    expect(records()).toEqual([{ level: 'info', time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), service: 'token', instance: 'pod-1', kid: 'key-1', msg: 'signing key loaded' }]);
  });

  it('drops lines below its level', () => {
    const { logger, records } = capture('warn');

    logger.debug({}, 'debug');
    logger.info({}, 'info');
    logger.warn({}, 'warn');
    logger.error({}, 'error');

    expect(records().map((record) => [record.level, record.msg])).toEqual([
      ['warn', 'warn'],
      ['error', 'error'],
    ]);
  });

  describe.each(REDACTED_KEYS)('redacts %s', (key) => {
    it.each([
      ['at the top level', (value: unknown) => ({ [key]: value, kept: 'visible' }), withoutBaseFields],
      ['one level down', (value: unknown) => ({ outer: { [key]: value, kept: 'visible' } }), (record: Record<string, unknown>) => record.outer],
      [
        'two levels down',
        (value: unknown) => ({ outer: { inner: { [key]: value, kept: 'visible' } } }),
        (record: Record<string, unknown>) => (record.outer as Record<string, unknown>).inner,
      ],
      ['in an array one level down', (value: unknown) => ({ outer: [{ [key]: value, kept: 'visible' }] }), (record: Record<string, unknown>) => (record.outer as unknown[])[0]],
    ])('%s', (_where, build, locate) => {
      const { logger, lines, records } = capture();

      logger.info(build(SECRET), 'with a secret');
      logger.warn(build({ nested: SECRET }), 'with a secret object');

      expect(lines.join('')).not.toContain(SECRET);
      expect(records().map(locate)).toEqual([
        { [key]: '[redacted]', kept: 'visible' },
        { [key]: '[redacted]', kept: 'visible' },
      ]);
      expect(records().map((record) => record.msg)).toEqual(['with a secret', 'with a secret object']);
    });
  });

  it('redacts every listed key in one object, and keeps the rest', () => {
    const { logger, lines, records } = capture();

    logger.error({ reqId: 'req-1', clientId: 'billing', ...Object.fromEntries(REDACTED_KEYS.map((key) => [key, `${SECRET}-${key}`])) }, 'failed');

    expect(lines.join('')).not.toContain(SECRET);
    expect(records()).toEqual([
      {
        level: 'error',
        time: expect.any(String),
        service: 'token',
        instance: 'pod-1',
        reqId: 'req-1',
        clientId: 'billing',
        ...Object.fromEntries(REDACTED_KEYS.map((key) => [key, '[redacted]'])),
        msg: 'failed',
      },
    ]);
  });

  it('redacts request headers and the whole request body', () => {
    const { logger, lines, records } = capture();

    logger.info(
      {
        req: {
          method: 'POST',
          url: '/token',
          headers: { authorization: `Basic ${SECRET}`, cookie: `session=${SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=client_credentials&client_secret=${SECRET}`,
        },
      },
      'request',
    );

    expect(lines.join('')).not.toContain(SECRET);
    expect(records()[0]?.req).toEqual({
      method: 'POST',
      url: '/token',
      headers: { authorization: '[redacted]', cookie: '[redacted]', 'content-type': 'application/x-www-form-urlencoded' },
      body: '[redacted]',
    });
  });

  it('redacts the bindings of a child logger', () => {
    const { logger, lines, records } = capture();

    logger.child({ token: SECRET, reqId: 'req-2' }).info({ clientSecret: SECRET }, 'child');

    expect(lines.join('')).not.toContain(SECRET);
    expect(records()).toEqual([
      { level: 'info', time: expect.any(String), service: 'token', instance: 'pod-1', token: '[redacted]', reqId: 'req-2', clientSecret: '[redacted]', msg: 'child' },
    ]);
  });

  it('does not change the object it was given', () => {
    const { logger } = capture();
    const logged = { password: SECRET, nested: { token: SECRET } };

    logger.info(logged, 'object kept');

    expect(logged).toEqual({ password: SECRET, nested: { token: SECRET } });
  });
});
