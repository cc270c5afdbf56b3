import { isTransientMetadataError, retryTransientMetadata } from './kafka-retry';

const unknownPartition = Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });

describe('retryTransientMetadata', () => {
  it('retries the metadata errors of a topic just created, then answers', async () => {
    let calls = 0;
    const result = await retryTransientMetadata(
      async () => {
        calls += 1;
        if (calls < 3) throw unknownPartition;
        return 'offsets';
      },
      { delayMs: 1 },
    );
    expect({ result, calls }).toEqual({ result: 'offsets', calls: 3 });
  });

  it('gives up after its timeout with the last error, and never retries another error', async () => {
    await expect(retryTransientMetadata(async () => Promise.reject(unknownPartition), { timeoutMs: 20, delayMs: 5 })).rejects.toBe(unknownPartition);
    let calls = 0;
    const other = Object.assign(new Error('not authorized'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    await expect(
      retryTransientMetadata(async () => {
        calls += 1;
        throw other;
      }),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
    expect([isTransientMetadataError(unknownPartition), isTransientMetadataError(other), isTransientMetadataError(null)]).toEqual([true, false, false]);
    // A transient error wrapped by kafkajs (retries exceeded) is still transient; a wrapped other error is not.
    const wrapped = Object.assign(new Error('retries exceeded'), { cause: unknownPartition });
    expect([isTransientMetadataError(wrapped), isTransientMetadataError(Object.assign(new Error('x'), { cause: other }))]).toEqual([true, false]);
  });
});
