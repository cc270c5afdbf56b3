import type { SigningKeyChanges, SigningKeyStore, SigningKeyTransaction, StoredSigningKey } from '@authz/ports';

/**
 * The in-memory twin of SqlSigningKeyStore (tests; passes the same contract tests). The rotation lock is
 * a flag held while `work` runs; a failing `work` leaves the keys as they were (a transaction).
 */
export class MemorySigningKeyStore implements SigningKeyStore {
  private keys = new Map<string, StoredSigningKey>();
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  async listLive(now: Date): Promise<StoredSigningKey[]> {
    return [...this.keys.values()]
      .filter((key) => key.status !== 'revoked' && (key.unpublishAt === null || key.unpublishAt > now))
      .sort((a, b) => (b.activatesAt?.getTime() ?? -Infinity) - (a.activatesAt?.getTime() ?? -Infinity) || b.createdAt.getTime() - a.createdAt.getTime())
      .map(copy);
  }

  async listAll(): Promise<StoredSigningKey[]> {
    return this.all(this.keys);
  }

  async withRotationLock<T>(work: (tx: SigningKeyTransaction) => Promise<T>, options: { wait: boolean }): Promise<T | null> {
    if (this.locked) {
      if (!options.wait) return null;
      while (this.locked) await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.locked = true;
    const working = new Map([...this.keys].map(([kid, key]) => [kid, copy(key)]));
    try {
      const result = await work({
        list: async () => this.all(working),
        insert: async (key) => {
          if (working.has(key.kid)) throw new Error(`duplicate kid ${key.kid}`);
          if (key.status === 'pending' && [...working.values()].some((other) => other.status === 'pending')) throw new Error('a pending key exists already');
          working.set(key.kid, copy(key));
        },
        update: async (kid, changes) => applyChanges(working, kid, changes),
      });
      this.keys = working;
      return result;
    } finally {
      this.locked = false;
      this.waiters.shift()?.();
    }
  }

  async update(kid: string, changes: SigningKeyChanges): Promise<void> {
    applyChanges(this.keys, kid, changes);
  }

  private all(keys: Map<string, StoredSigningKey>): StoredSigningKey[] {
    return [...keys.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.kid < b.kid ? -1 : 1)).map(copy);
  }
}

function applyChanges(keys: Map<string, StoredSigningKey>, kid: string, changes: SigningKeyChanges): void {
  const key = keys.get(kid);
  if (!key) return;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  keys.set(kid, { ...key, ...defined });
}

function copy(key: StoredSigningKey): StoredSigningKey {
  return { ...key, publicJwk: { ...key.publicJwk } };
}
