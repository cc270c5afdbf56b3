import { fromKafkajs, type PatchOutcome, unpatchableKafkajs } from './kafkajs-internals';

export { KAFKAJS_PATCHED_VERSION } from './kafkajs-internals';

/**
 * A fix for kafkajs 2.2.4's request queue, applied once, before our first client is made (createKafka).
 *
 * The defect (tulios/kafkajs#1704, #1751; kafkajs is unmaintained, the fix PRs are unmerged): every
 * broker connection's RequestQueue re-arms a timer after each check of its pending requests, whether
 * or not any are pending, and with no throttling in effect the delay it computes is negative
 * (`throttledUntil` is -1), which Node turns into 1 ms (and, on Node ≥ 23, a TimeoutNegativeWarning).
 * So from its first answer on, each connection of each producer, consumer and admin wakes the event
 * loop a thousand times a second, forever, with nothing to do: CPU and garbage taken from the requests
 * the service is there to answer, and a 1 ms timer always due in front of them.
 *
 * The replacement schedules a check only when a request is waiting, exactly as before in that case:
 * when the broker's throttle ends, or after CHECK_PENDING_REQUESTS_INTERVAL (10 ms) when that has
 * already passed (the margin of tulios/kafkajs#1532). A queue with nothing pending needs no timer: a new
 * request is sent at once by `push`, or queued and scheduled there, and a request that completes checks
 * the queue itself (`fulfillRequest`, a timeout).
 */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

type RequestQueueInternals = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

let outcome: PatchOutcome | undefined;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL,
  );
}

/**
 * Replaces RequestQueue.prototype.scheduleCheckPendingRequests of the kafkajs this process loads, if it
 * is the version this fix was written for (another version is left alone: its code may differ).
 */
export function patchKafkajsRequestQueue(): PatchOutcome {
  if (outcome) return outcome === 'patched' ? 'already patched' : outcome;
  const refused = unpatchableKafkajs();
  if (refused) return (outcome = refused);
  kafkajsRequestQueue().prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return (outcome = 'patched');
}

/** The request queue class the patch changes (for its tests). */
export function kafkajsRequestQueue(): RequestQueueClass {
  return fromKafkajs('./src/network/requestQueue') as RequestQueueClass;
}

type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueueInternals & { destroy(): void };
