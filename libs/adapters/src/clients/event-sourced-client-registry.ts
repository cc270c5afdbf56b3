import { type Envelope, type EventOf, Topics } from '@authz/contracts';
import type { RegisteredClient } from '@authz/oauth';
import type { ClientRecord, ConsumedEvent, EventSubscriber, Logger, ManagedClientRegistry, Subscription } from '@authz/ports';

type ClientEvent = EventOf<'oauth.client.registered.v1'> | EventOf<'oauth.client.updated.v1'> | EventOf<'oauth.client.deleted.v1'>;

/** What a replica knows of a registered client id: its last revision, and its record unless deleted. */
export type ClientEntry = { revision: number; record: ClientRecord | null };

/**
 * The pure reducer of the clients topic: the entry after one event. The highest revision wins; on an
 * equal revision the log's event wins over one applied locally (`fromLog`), so replicas that applied
 * their own concurrent updates converge on the log's order, which is also what compaction keeps.
 */
export function evolveClient(entry: ClientEntry | undefined, event: ClientEvent, fromLog: boolean): ClientEntry | undefined {
  const known = entry?.revision ?? 0;
  const { revision } = event.data;
  if (revision < known || (revision === known && !fromLog)) return entry;
  if (event.type === 'oauth.client.deleted.v1') return { revision, record: null };
  const { clientId, clientIdIssuedAt, registrationAccessTokenHash, client } = event.data;
  const registered: RegisteredClient = { clientId, clientIdIssuedAt, ...client };
  return {
    revision,
    record: { client: registered, origin: 'registered', revision, ...(registrationAccessTokenHash ? { registrationAccessTokenHash } : {}) },
  };
}

function isClientEvent(envelope: Envelope): envelope is Envelope<ClientEvent> {
  return envelope.type === 'oauth.client.registered.v1' || envelope.type === 'oauth.client.updated.v1' || envelope.type === 'oauth.client.deleted.v1';
}

export type EventSourcedClientRegistryOptions = {
  subscriber: EventSubscriber;
  /** The seed clients (CLIENTS_FILE): loaded first, read-only; an event for a seed id is ignored. */
  seeds: ReadonlyMap<string, RegisteredClient>;
  /** A consumer group of this process alone (broadcastGroupId): every replica reads every event. */
  groupId: string;
  logger: Logger;
};

/**
 * ClientRegistry of every replica (token, authorize, introspection, suite, the admin CLI): the seed
 * file's clients, then the oauth.clients topic read from its first offset at every start (the group's
 * committed offset is ignored: the map lives in memory), then each event as it comes. `start` resolves
 * once the replica has caught up with the topic as of its start; the service does not listen before.
 */
export class EventSourcedClientRegistry implements ManagedClientRegistry {
  private readonly entries = new Map<string, ClientEntry>();
  private readonly logger: Logger;
  private subscription: Subscription | undefined;
  private caughtUp = false;

  constructor(private readonly options: EventSourcedClientRegistryOptions) {
    this.logger = options.logger.child({ component: 'EventSourcedClientRegistry' });
  }

  async start(): Promise<void> {
    this.subscription = await this.options.subscriber.subscribe({
      groupId: this.options.groupId,
      topics: [Topics.clients],
      fromBeginning: true,
      // Always the whole topic: the state is this process's memory, not the group's position.
      startFrom: async () => '0',
      handle: async (batch) => this.applyBatch(batch),
    });
    await this.subscription.caughtUp();
    this.caughtUp = true;
    this.logger.info({ seeds: this.options.seeds.size, registered: this.liveCount() }, 'clients loaded');
  }

  /** True once the topic has been read up to where it stood at the start. */
  get ready(): boolean {
    return this.caughtUp;
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  async find(clientId: string): Promise<RegisteredClient | null> {
    return (await this.findRecord(clientId))?.client ?? null;
  }

  async findRecord(clientId: string): Promise<ClientRecord | null> {
    const seed = this.options.seeds.get(clientId);
    if (seed) return { client: seed, origin: 'seed', revision: 0 };
    return this.entries.get(clientId)?.record ?? null;
  }

  lastRevision(clientId: string): number {
    return this.entries.get(clientId)?.revision ?? 0;
  }

  isTaken(clientId: string): boolean {
    return this.options.seeds.has(clientId) || this.entries.has(clientId);
  }

  /**
   * A stable order, whatever order the topic's partitions were read in: the seeds in file order, then the
   * registered clients by client_id_issued_at, then by client id.
   */
  async list(): Promise<ClientRecord[]> {
    const seeds = [...this.options.seeds.values()].map((client): ClientRecord => ({ client, origin: 'seed', revision: 0 }));
    const registered = [...this.entries.values()].flatMap((entry) => (entry.record ? [entry.record] : [])).sort(byRegistration);
    return [...seeds, ...registered];
  }

  applyAcknowledged(envelope: Envelope): void {
    if (isClientEvent(envelope)) this.apply(envelope, false);
  }

  private async applyBatch(batch: readonly ConsumedEvent[]): Promise<void> {
    for (const { envelope } of batch) if (isClientEvent(envelope)) this.apply(envelope, true);
  }

  private apply(envelope: Envelope<ClientEvent>, fromLog: boolean): void {
    const { clientId } = envelope.data;
    if (this.options.seeds.has(clientId)) {
      this.logger.warn({ clientId, type: envelope.type }, 'client event for a seed client id ignored');
      return;
    }
    const next = evolveClient(this.entries.get(clientId), envelope as ClientEvent, fromLog);
    if (next) this.entries.set(clientId, next);
  }

  private liveCount(): number {
    return [...this.entries.values()].filter((entry) => entry.record).length;
  }
}

/** Registered clients by client_id_issued_at (one without it last), then by client id (code-point order). */
function byRegistration(a: ClientRecord, b: ClientRecord): number {
  const issued = (a.client.clientIdIssuedAt ?? Number.MAX_SAFE_INTEGER) - (b.client.clientIdIssuedAt ?? Number.MAX_SAFE_INTEGER);
  if (issued !== 0) return issued;
  return a.client.clientId < b.client.clientId ? -1 : a.client.clientId > b.client.clientId ? 1 : 0;
}
