/**
 * Metadata errors a broker answers for a topic it has just created, until the partition leaders have
 * loaded it ("This server does not host this topic-partition"): transient, retried.
 */
const TRANSIENT_METADATA_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

export function isTransientMetadataError(error: unknown): boolean {
  // kafkajs wraps a protocol error in another (retries exceeded, non-retriable) as its `cause`.
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && TRANSIENT_METADATA_ERRORS.has(type)) return true;
  }
  return false;
}

/** Runs `operation`, retrying transient metadata errors every `delayMs` for at most `timeoutMs`; any other error at once. */
export async function retryTransientMetadata<T>(operation: () => Promise<T>, options: { timeoutMs?: number; delayMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientMetadataError(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 100));
    }
  }
}
