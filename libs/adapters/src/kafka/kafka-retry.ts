/**
 * Metadata errors a broker answers for a topic it has just created, until the partition leaders have
 * loaded it ("This server does not host this topic-partition"): transient, retried.
 */
const TRANSIENT_METADATA_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

export function isTransientMetadataError(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && TRANSIENT_METADATA_ERRORS.has(type);
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
