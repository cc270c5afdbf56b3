import { randomUUID } from 'node:crypto';
import { silentLogger } from '@authz/ports';
import { kafkajsRequestQueue } from './kafkajs-request-queue';
import { createKafka, parseBrokers } from './kafka-topics';

jest.setTimeout(60_000);

/**
 * Against the real broker: a connected, idle producer and admin leave the event loop alone. Before the
 * fix (kafkajs 2.2.4 as published) each of their connections checked its empty queue every millisecond.
 */
it('an idle connected client checks its request queues only when it has something to send', async () => {
  const kafka = createKafka({ brokers: parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'), clientId: `authz-request-queue-${randomUUID().slice(0, 8)}`, logger: silentLogger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.listTopics();
    const prototype = kafkajsRequestQueue().prototype;
    const original = prototype.checkPendingRequests;
    let checks = 0;
    prototype.checkPendingRequests = function (this: unknown) {
      checks += 1;
      return original.call(this);
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      prototype.checkPendingRequests = original;
    }
    expect(checks).toBe(0);
    // And it still works: a request after the idle time is answered.
    expect(Array.isArray(await admin.listTopics())).toBe(true);
  } finally {
    await admin.disconnect();
  }
});
