import { kafkajsRequestQueue, patchKafkajsRequestQueue } from './kafkajs-request-queue';

const kafkaLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, namespace: () => kafkaLogger };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request as kafkajs' Connection pushes it; `sent` counts its sending. */
function request(correlationId: number) {
  const sent = { count: 0 };
  return { sent, pushed: { entry: { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => undefined, reject: () => undefined }, expectResponse: true, sendRequest: () => void (sent.count += 1) } };
}

describe('the kafkajs request queue fix (tulios/kafkajs#1704)', () => {
  beforeAll(() => {
    expect(['patched', 'already patched']).toContain(patchKafkajsRequestQueue());
  });

  function queue(maxInFlightRequests: number | null = null) {
    const RequestQueue = kafkajsRequestQueue();
    return new RequestQueue({ maxInFlightRequests, requestTimeout: 1000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: kafkaLogger });
  }

  it('is applied once: a second call changes nothing', () => {
    expect(patchKafkajsRequestQueue()).toBe('already patched');
  });

  it('arms no timer for a queue with nothing pending (kafkajs 2.2.4 re-armed a 1 ms timer after every check, forever)', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    // Even while throttled: with nothing waiting there is nothing to send when the throttle ends.
    (q as unknown as { maybeThrottle(ms: number): void }).maybeThrottle(50);
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  // Fake timers (they fake Date.now too): with real ones, a loaded machine that ran the 25 ms sleep late
  // saw the request already sent (CI failed on it once).
  it('sends a request queued behind a broker throttle when the throttle ends, then arms nothing', () => {
    jest.useFakeTimers();
    try {
      const q = queue() as ReturnType<typeof queue> & { maybeThrottle(ms: number): void; push(request: unknown): void };
      q.maybeThrottle(40);
      const { sent, pushed } = request(1);
      q.push(pushed);
      expect(sent.count).toBe(0);
      expect(q.pending).toHaveLength(1);
      expect(q.throttleCheckTimeoutId).not.toBeNull();
      jest.advanceTimersByTime(39);
      expect(sent.count).toBe(0);
      jest.advanceTimersByTime(1);
      expect(sent.count).toBe(1);
      expect(q.pending).toHaveLength(0);
      expect(q.throttleCheckTimeoutId).toBeNull();
      expect(jest.getTimerCount()).toBe(0);
      q.destroy();
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends a request held by the in-flight limit once the one in flight is answered', async () => {
    const q = queue(1) as ReturnType<typeof queue> & { push(request: unknown): void; fulfillRequest(response: unknown): void };
    const first = request(1);
    const second = request(2);
    q.push(first.pushed);
    q.push(second.pushed);
    expect([first.sent.count, second.sent.count]).toEqual([1, 0]);
    // Waiting for the in-flight one: checked again every 10 ms meanwhile (as before the fix).
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect([first.sent.count, second.sent.count]).toEqual([1, 1]);
    await sleep(20);
    q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    await sleep(20);
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });
});
