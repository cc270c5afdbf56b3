/**
 * Every Kafka topic the suite uses, in one place. Events of one aggregate share a topic and are keyed
 * by their subject, so one grant's (or one key's) events stay in order on one partition.
 */
export const Topics = {
  /** Token and grant events: issuance, rotation, revocation. Key: the grant id. */
  tokens: 'oauth.tokens',
  /** Signing key lifecycle: public keys only. Key: the kid. */
  keys: 'oauth.keys',
  /** Messages a consumer could not process after its retries, with the reason in the headers. */
  deadLetter: 'oauth.dead-letter',
  /** Login attempts (oauth.user.*): never a password. Key: the sha256 hash of the normalized username, so one login name's attempts stay in order. */
  identity: 'oauth.identity',
  /**
   * Client registrations (RFC 7591/7592): registered, updated, deleted. Key: the client id. Every event
   * carries the client's whole state, so the topic is compacted (the last event per client is enough)
   * and every replica rebuilds its client map by reading it from the start.
   */
  clients: 'oauth.clients',
  /** Consent given on the consent page (authorize). Key: the user (`sub`). */
  consents: 'oauth.consents',
  /**
   * Revocations (oauth.grant.revoked.v1, oauth.access_token.revoked.v1): a small topic of its own, so
   * every introspection replica, token replica and resource-server guard can read it as a broadcast
   * (each reader sees every event) without wading through the issuance traffic of oauth.tokens.
   * Key: the grant id, so one grant's revocations stay in order.
   */
  revocations: 'oauth.revocations',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Topics created with `cleanup.policy=compact`: the last event per key is the state (never deleted by age). */
export const COMPACTED_TOPICS: readonly TopicName[] = [Topics.clients];
