import { z } from 'zod';
import { createEnvelope, deserializeEnvelope, type Envelope, EventValidationError, serializeEnvelope, validateEnvelope } from './envelope';
import { type DomainEvent, EVENT_DEFINITIONS, EVENT_TYPES, type EventOf, isEventType, topicOf } from './events/registry';
import { ALL_TOPICS, Topics } from './topics';

const TIME = new Date('2025-03-04T05:06:07.089Z');
const META = { source: 'authz/token', id: '5f0c6a53-6d7c-4a36-9d0b-3c1f2f9e8a10', time: TIME, correlationId: 'req-42' };

const accessTokenIssued: EventOf<'oauth.access_token.issued.v1'> = {
  type: 'oauth.access_token.issued.v1',
  subject: 'grant-7',
  data: {
    jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
    grantId: 'grant-7',
    grantType: 'client_credentials',
    clientId: 'billing',
    sub: 'billing',
    scope: 'invoices:read reports',
    audience: ['https://api.example.org'],
    issuedAt: 1_700_000_000,
    expiresAt: 1_700_000_300,
    tokenHash: 'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0',
  },
};

const publicJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  kid: 'key-2025-03',
  alg: 'ES256',
  use: 'sig',
} as const;

const signingKeyPublished: EventOf<'oauth.signing_key.published.v1'> = {
  type: 'oauth.signing_key.published.v1',
  subject: 'key-2025-03',
  data: { kid: 'key-2025-03', alg: 'ES256', publicJwk, createdAt: 1_700_000_000 },
};

function validationError(action: () => unknown): { type: unknown; message: string } {
  try {
    action();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { type: error.constructor, message: error.message };
  }
  throw new Error('expected an EventValidationError');
}

function refused(message: string) {
  return { type: EventValidationError, message };
}

/** An event built from loose parts, to feed createEnvelope what the compiler would refuse. */
function looseEvent(type: string, subject: string, data: unknown): DomainEvent {
  return { type, subject, data } as unknown as DomainEvent;
}

function envelopeOf(overrides: Record<string, unknown>, without?: string): Record<string, unknown> {
  const envelope: Record<string, unknown> = { ...createEnvelope(accessTokenIssued, META), ...overrides };
  if (without) delete envelope[without];
  return envelope;
}

describe('createEnvelope', () => {
  it('wraps oauth.access_token.issued.v1 in a CloudEvents 1.0 envelope', () => {
    expect(createEnvelope(accessTokenIssued, META)).toStrictEqual({
      specversion: '1.0',
      id: '5f0c6a53-6d7c-4a36-9d0b-3c1f2f9e8a10',
      source: 'authz/token',
      type: 'oauth.access_token.issued.v1',
      time: '2025-03-04T05:06:07.089Z',
      subject: 'grant-7',
      datacontenttype: 'application/json',
      correlationid: 'req-42',
      data: {
        jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
        grantId: 'grant-7',
        grantType: 'client_credentials',
        clientId: 'billing',
        sub: 'billing',
        scope: 'invoices:read reports',
        audience: ['https://api.example.org'],
        issuedAt: 1_700_000_000,
        expiresAt: 1_700_000_300,
        tokenHash: 'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0',
      },
    });
  });

  it('wraps oauth.signing_key.published.v1, without correlationid when there is none', () => {
    expect(createEnvelope(signingKeyPublished, { source: 'authz/token', id: 'evt-1', time: TIME })).toStrictEqual({
      specversion: '1.0',
      id: 'evt-1',
      source: 'authz/token',
      type: 'oauth.signing_key.published.v1',
      time: '2025-03-04T05:06:07.089Z',
      subject: 'key-2025-03',
      datacontenttype: 'application/json',
      data: {
        kid: 'key-2025-03',
        alg: 'ES256',
        publicJwk: {
          kty: 'EC',
          crv: 'P-256',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          kid: 'key-2025-03',
          alg: 'ES256',
          use: 'sig',
        },
        createdAt: 1_700_000_000,
      },
    });
  });

  it('gives a fresh UUID id and the current time when the meta has none', () => {
    const before = Date.now();
    const envelope = createEnvelope(accessTokenIssued, { source: 'authz/token' });
    const after = Date.now();

    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(createEnvelope(accessTokenIssued, { source: 'authz/token' }).id).not.toBe(envelope.id);
    expect(Date.parse(envelope.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(envelope.time)).toBeLessThanOrEqual(after);
    expect(envelope).not.toHaveProperty('correlationid');
  });

  it('refuses a payload with a missing field', () => {
    const { tokenHash: _tokenHash, ...data } = accessTokenIssued.data;

    expect(validationError(() => createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', data), META))).toEqual(
      refused('invalid oauth.access_token.issued.v1: tokenHash: Required'),
    );
  });

  it('refuses a payload with an extra field (strict), such as the token value itself', () => {
    const data = { ...accessTokenIssued.data, accessToken: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' };

    expect(validationError(() => createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', data), META))).toEqual(
      refused("invalid oauth.access_token.issued.v1: (root): Unrecognized key(s) in object: 'accessToken'"),
    );
  });

  it.each([
    ['the token value', 'eyJhbGciOiJFUzI1NiJ9.e30.sig'],
    ['a hex digest', 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['a padded base64 digest', 'sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='],
    ['a digest one character short', 'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa'],
    ['another algorithm', 'sha512:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
  ])('refuses a tokenHash that is not sha256:<base64url digest> (%s)', (_case, tokenHash) => {
    const data = { ...accessTokenIssued.data, tokenHash };

    expect(validationError(() => createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', data), META))).toEqual(
      refused('invalid oauth.access_token.issued.v1: tokenHash: expected sha256:<base64url digest>'),
    );
  });

  it('refuses a public JWK that carries the private key ("d", RFC 7518 §6.2.2.1)', () => {
    const data = { ...signingKeyPublished.data, publicJwk: { ...publicJwk, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' } };

    expect(validationError(() => createEnvelope(looseEvent('oauth.signing_key.published.v1', 'key-2025-03', data), META))).toEqual(
      refused("invalid oauth.signing_key.published.v1: publicJwk: Unrecognized key(s) in object: 'd'"),
    );
  });

  it('refuses a key of another type or curve', () => {
    const data = { ...signingKeyPublished.data, publicJwk: { ...publicJwk, crv: 'P-384' } };

    expect(validationError(() => createEnvelope(looseEvent('oauth.signing_key.published.v1', 'key-2025-03', data), META))).toEqual(
      refused('invalid oauth.signing_key.published.v1: publicJwk.crv: Invalid literal value, expected "P-256"'),
    );
  });

  it('refuses an unknown grant type and an empty audience', () => {
    const data = { ...accessTokenIssued.data, grantType: 'device_code', audience: [] };

    expect(validationError(() => createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', data), META))).toEqual(
      refused(
        "invalid oauth.access_token.issued.v1: grantType: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password' | 'implicit', received 'device_code'; audience: Array must contain at least 1 element(s)",
      ),
    );
  });

  it('accepts grantType implicit (tokens of the legacy flow, a compatible addition to the schema)', () => {
    const envelope = createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', { ...accessTokenIssued.data, grantType: 'implicit' }), META);

    expect(envelope.data).toEqual({ ...accessTokenIssued.data, grantType: 'implicit' });
  });
});

describe('createEnvelope validates like validateEnvelope (its fast path checks only what the caller gave)', () => {
  it.each<[string, () => unknown]>([
    ['a valid event', () => createEnvelope(accessTokenIssued, META)],
    ['a valid event with a correlation id', () => createEnvelope(accessTokenIssued, { ...META, correlationId: 'req-1' })],
    ['an empty subject', () => createEnvelope(looseEvent('oauth.access_token.issued.v1', '', accessTokenIssued.data), META)],
    ['an empty source', () => createEnvelope(accessTokenIssued, { ...META, source: '' })],
    ['an empty id', () => createEnvelope(accessTokenIssued, { ...META, id: '' })],
    ['an unknown type', () => createEnvelope(looseEvent('oauth.nothing.happened.v1', 'x', {}), META)],
    ['a time past year 9999', () => createEnvelope(accessTokenIssued, { ...META, time: new Date(Date.UTC(10_000, 0, 1)) })],
    ['a bad payload', () => createEnvelope(looseEvent('oauth.access_token.issued.v1', 'grant-7', { ...accessTokenIssued.data, scope: 5 }), META)],
  ])('%s: the same envelope, or the same error, as validating the whole envelope', (_case, create) => {
    let created: unknown;
    let createError: unknown;
    try {
      created = create();
    } catch (error) {
      createError = error;
    }
    if (createError === undefined) {
      expect(validateEnvelope(JSON.parse(JSON.stringify(created)))).toStrictEqual(created);
    } else {
      expect(createError).toBeInstanceOf(EventValidationError);
      expect((createError as Error).message).toMatch(/^(invalid envelope: |unknown event type: |invalid oauth\.access_token\.issued\.v1: )/);
    }
  });

  it('refuses an empty subject, source or id, and a time past year 9999, with the envelope errors', () => {
    expect(validationError(() => createEnvelope(looseEvent('oauth.access_token.issued.v1', '', accessTokenIssued.data), META))).toEqual(
      refused('invalid envelope: subject: String must contain at least 1 character(s)'),
    );
    expect(validationError(() => createEnvelope(accessTokenIssued, { ...META, source: '' }))).toEqual(refused('invalid envelope: source: String must contain at least 1 character(s)'));
    expect(validationError(() => createEnvelope(accessTokenIssued, { ...META, id: '' }))).toEqual(refused('invalid envelope: id: String must contain at least 1 character(s)'));
    expect(validationError(() => createEnvelope(accessTokenIssued, { ...META, time: new Date(Date.UTC(10_000, 0, 1)) }))).toEqual(refused('invalid envelope: time: Invalid datetime'));
  });
});

describe('validateEnvelope / deserializeEnvelope', () => {
  it('returns a valid envelope as it is', () => {
    const envelope = createEnvelope(accessTokenIssued, META);

    expect(validateEnvelope(JSON.parse(JSON.stringify(envelope)))).toStrictEqual(envelope);
  });

  it('round-trips serialize → deserialize for every event type', () => {
    for (const envelope of [createEnvelope(accessTokenIssued, META), createEnvelope(signingKeyPublished, { source: 'authz/token', id: 'evt-1', time: TIME })]) {
      const bytes = serializeEnvelope(envelope);

      expect(bytes).toBeInstanceOf(Buffer);
      expect(deserializeEnvelope(bytes)).toStrictEqual(envelope);
      expect(deserializeEnvelope(bytes.toString('utf8'))).toStrictEqual(envelope);
    }
  });

  it.each([
    ['null (a tombstone)', null, 'empty message'],
    ['an empty buffer', Buffer.alloc(0), 'message is not JSON'],
    ['text', 'oauth.access_token.issued.v1', 'message is not JSON'],
    ['truncated JSON', '{"specversion":"1.0",', 'message is not JSON'],
  ])('refuses %s', (_case, bytes, message) => {
    expect(validationError(() => deserializeEnvelope(bytes))).toEqual(refused(message));
  });

  it('refuses JSON that is not an object', () => {
    expect(validationError(() => deserializeEnvelope('[]'))).toEqual(refused('invalid envelope: (root): Expected object, received array'));
    expect(validationError(() => deserializeEnvelope('null'))).toEqual(refused('invalid envelope: (root): Expected object, received null'));
  });

  it('refuses an unknown event type, including an inherited property name', () => {
    expect(validationError(() => validateEnvelope(envelopeOf({ type: 'oauth.access_token.issued.v9' })))).toEqual(
      refused('unknown event type: oauth.access_token.issued.v9'),
    );
    expect(validationError(() => validateEnvelope(envelopeOf({ type: 'constructor' })))).toEqual(refused('unknown event type: constructor'));
  });

  it.each([
    ['a date without time', '2025-03-04'],
    ['a local time without offset', '2025-03-04T05:06:07'],
    ['a time in words', 'yesterday'],
    ['an epoch number as text', '1741064767089'],
  ])('refuses a bad time (%s)', (_case, time) => {
    expect(validationError(() => validateEnvelope(envelopeOf({ time })))).toEqual(refused('invalid envelope: time: Invalid datetime'));
  });

  it('accepts an RFC 3339 time with an offset', () => {
    expect(validateEnvelope(envelopeOf({ time: '2025-03-04T07:06:07.089+02:00' })).time).toBe('2025-03-04T07:06:07.089+02:00');
  });

  it('refuses a missing or empty subject (the Kafka key)', () => {
    expect(validationError(() => validateEnvelope(envelopeOf({}, 'subject')))).toEqual(refused('invalid envelope: subject: Required'));
    expect(validationError(() => validateEnvelope(envelopeOf({ subject: '' })))).toEqual(
      refused('invalid envelope: subject: String must contain at least 1 character(s)'),
    );
  });

  it('refuses another specversion, datacontenttype or an unknown attribute', () => {
    expect(validationError(() => validateEnvelope(envelopeOf({ specversion: '0.3' })))).toEqual(
      refused('invalid envelope: specversion: Invalid literal value, expected "1.0"'),
    );
    expect(validationError(() => validateEnvelope(envelopeOf({ datacontenttype: 'text/plain' })))).toEqual(
      refused('invalid envelope: datacontenttype: Invalid literal value, expected "application/json"'),
    );
    expect(validationError(() => validateEnvelope(envelopeOf({ token: 'eyJ...' })))).toEqual(
      refused("invalid envelope: (root): Unrecognized key(s) in object: 'token'"),
    );
  });

  it('validates the data of the envelope against its type', () => {
    const envelope = envelopeOf({ data: signingKeyPublished.data });

    expect(validationError(() => validateEnvelope(envelope))).toEqual({
      type: EventValidationError,
      message: expect.stringMatching(/^invalid oauth\.access_token\.issued\.v1: /),
    });
  });
});

const CLIENT_SNAPSHOT_FIELDS = [
  'clientId',
  'revision',
  'clientIdIssuedAt',
  'registrationAccessTokenHash',
  'client',
  'client.clientName',
  'client.secretHash',
  'client.tokenEndpointAuthMethod',
  'client.grantTypes',
  'client.responseTypes',
  'client.scope',
  'client.defaultScope',
  'client.audience',
  'client.redirectUris',
  'client.accessTokenTtl',
  'client.refreshTokenTtl',
  'client.refreshTokenIdleTtl',
  'client.requirePkce',
  'client.allowPlainPkce',
  'client.skipConsent',
  'client.jwks',
  'client.jwks.keys',
  'client.jwks.keys.kty',
  'client.jwks.keys.kid',
  'client.jwks.keys.alg',
  'client.jwks.keys.use',
  'client.jwks.keys.key_ops',
  'client.jwks.keys.crv',
  'client.jwks.keys.x',
  'client.jwks.keys.y',
  'client.jwks.keys.n',
  'client.jwks.keys.e',
  'client.jwksUri',
  'client.clientUri',
  'client.logoUri',
];

describe('the event registry', () => {
  /** Every key of a schema, nested objects as dotted paths. */
  function schemaKeys(schema: z.ZodTypeAny, prefix = ''): string[] {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return schemaKeys(schema.unwrap(), prefix);
    if (schema instanceof z.ZodArray) return schemaKeys(schema.element, prefix);
    if (schema instanceof z.ZodDiscriminatedUnion) return [...new Set((schema.options as z.ZodTypeAny[]).flatMap((option) => schemaKeys(option, prefix)))];
    if (!(schema instanceof z.ZodObject)) return [];
    return Object.entries(schema.shape as Record<string, z.ZodTypeAny>).flatMap(([key, child]) => [`${prefix}${key}`, ...schemaKeys(child, `${prefix}${key}.`)]);
  }

  function strictObjects(schema: z.ZodTypeAny): boolean[] {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return strictObjects(schema.unwrap());
    if (schema instanceof z.ZodArray) return strictObjects(schema.element);
    if (schema instanceof z.ZodDiscriminatedUnion) return (schema.options as z.ZodTypeAny[]).flatMap(strictObjects);
    if (!(schema instanceof z.ZodObject)) return [];
    return [schema._def.unknownKeys === 'strict', ...Object.values(schema.shape as Record<string, z.ZodTypeAny>).flatMap(strictObjects)];
  }

  it('has no field that could carry a token, code, secret or private key value (an allow-list)', () => {
    const fields = Object.fromEntries(EVENT_TYPES.map((type) => [type, schemaKeys(EVENT_DEFINITIONS[type].data)]));

    expect(fields).toStrictEqual({
      'oauth.access_token.issued.v1': ['jti', 'grantId', 'grantType', 'clientId', 'sub', 'scope', 'audience', 'issuedAt', 'expiresAt', 'tokenHash'],
      'oauth.access_token.revoked.v1': ['jti', 'grantId', 'clientId', 'sub', 'reason', 'revokedAt', 'expiresAt'],
      'oauth.signing_key.published.v1': [
        'kid',
        'alg',
        'publicJwk',
        'publicJwk.kty',
        'publicJwk.crv',
        'publicJwk.x',
        'publicJwk.y',
        'publicJwk.kid',
        'publicJwk.alg',
        'publicJwk.use',
        'createdAt',
      ],
      'oauth.authorization_code.issued.v1': ['grantId', 'clientId', 'sub', 'scope', 'redirectUri', 'codeHash', 'pkceMethod', 'authTime', 'issuedAt', 'expiresAt'],
      'oauth.consent.granted.v1': ['sub', 'clientId', 'scopes', 'grantedAt'],
      'oauth.refresh_token.issued.v1': [
        'familyId',
        'grantId',
        'grantType',
        'clientId',
        'sub',
        'scope',
        'audience',
        'authTime',
        'generation',
        'tokenHash',
        'issuedAt',
        'expiresAt',
        'idleExpiresAt',
      ],
      'oauth.refresh_token.rotated.v1': ['familyId', 'grantId', 'clientId', 'parentTokenHash', 'generation', 'tokenHash', 'rotatedAt', 'idleExpiresAt'],
      'oauth.refresh_token.reuse_detected.v1': ['familyId', 'grantId', 'clientId', 'presentedTokenHash', 'presentedGeneration', 'currentGeneration', 'detectedAt'],
      'oauth.authorization_code.redeemed.v1': ['codeHash', 'grantId', 'clientId', 'sub', 'redeemedAt'],
      'oauth.grant.revoked.v1': ['grantId', 'clientId', 'subject', 'reason', 'revokedAt', 'coversUntil'],
      'oauth.user.authenticated.v1': ['usernameHash', 'subject', 'clientId', 'clientIpHash', 'authTime', 'graceLoginsRemaining'],
      'oauth.user.authentication_failed.v1': ['usernameHash', 'clientId', 'clientIpHash', 'reason', 'usernameFailures', 'lockedBy', 'lockedUntil'],
      'oauth.client.registered.v1': CLIENT_SNAPSHOT_FIELDS,
      'oauth.client.updated.v1': CLIENT_SNAPSHOT_FIELDS,
      'oauth.client.deleted.v1': ['clientId', 'revision', 'deletedAt'],
      'oauth.signing_key.published.v2': [
        'kid',
        'alg',
        'publicJwk',
        'publicJwk.kty',
        'publicJwk.crv',
        'publicJwk.x',
        'publicJwk.y',
        'publicJwk.alg',
        'publicJwk.kid',
        'publicJwk.use',
        'publicJwk.n',
        'publicJwk.e',
        'createdAt',
      ],
      'oauth.signing_key.activated.v1': ['kid', 'alg', 'activatedAt'],
      'oauth.signing_key.retired.v1': ['kid', 'retiredAt', 'unpublishAt'],
      'oauth.signing_key.revoked.v1': ['kid', 'revokedAt'],
    });
    const risky = /token$|secret|password|code|verifier|assertion|private|^d$|\.d$|\.(p|q|dp|dq|qi|k)$/i;
    // A field named for a secret is allowed only as its hash (a `...Hash` field whose schema refuses anything else).
    expect(Object.values(fields).flat().filter((field) => risky.test(field) && !/Hash$/.test(field))).toEqual([]);
    const hashFields = EVENT_TYPES.flatMap((type) => schemaKeys(EVENT_DEFINITIONS[type].data).filter((field) => /Hash$/.test(field)).map((field) => [type, field] as const));
    for (const [type, field] of hashFields) {
      const schema = field.split('.').reduce<z.ZodTypeAny>((node, key) => {
        const inner = node instanceof z.ZodOptional ? node.unwrap() : node;
        return (inner as z.AnyZodObject).shape[key] as z.ZodTypeAny;
      }, EVENT_DEFINITIONS[type].data);
      expect([type, field, schema.safeParse('hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').success]).toEqual([type, field, false]);
    }
  });

  it('refuses unknown fields at every level of every event (strict objects)', () => {
    for (const type of EVENT_TYPES) {
      const strict = strictObjects(EVENT_DEFINITIONS[type].data);
      expect(strict.length).toBeGreaterThan(0);
      expect(strict.every(Boolean)).toBe(true);
    }
  });

  it('puts every event on a topic of Topics', () => {
    expect(ALL_TOPICS).toEqual(['oauth.tokens', 'oauth.keys', 'oauth.dead-letter', 'oauth.identity', 'oauth.clients', 'oauth.consents', 'oauth.revocations']);
    expect(Object.fromEntries(EVENT_TYPES.map((type) => [type, topicOf(type)]))).toStrictEqual({
      'oauth.access_token.issued.v1': Topics.tokens,
      'oauth.access_token.revoked.v1': Topics.revocations,
      'oauth.signing_key.published.v1': Topics.keys,
      'oauth.authorization_code.issued.v1': Topics.tokens,
      'oauth.consent.granted.v1': Topics.consents,
      'oauth.refresh_token.issued.v1': Topics.tokens,
      'oauth.refresh_token.rotated.v1': Topics.tokens,
      'oauth.refresh_token.reuse_detected.v1': Topics.tokens,
      'oauth.authorization_code.redeemed.v1': Topics.tokens,
      'oauth.grant.revoked.v1': Topics.revocations,
      'oauth.user.authenticated.v1': Topics.identity,
      'oauth.user.authentication_failed.v1': Topics.identity,
      'oauth.client.registered.v1': Topics.clients,
      'oauth.client.updated.v1': Topics.clients,
      'oauth.client.deleted.v1': Topics.clients,
      'oauth.signing_key.published.v2': Topics.keys,
      'oauth.signing_key.activated.v1': Topics.keys,
      'oauth.signing_key.retired.v1': Topics.keys,
      'oauth.signing_key.revoked.v1': Topics.keys,
    });
    for (const type of EVENT_TYPES) expect(ALL_TOPICS).toContain(topicOf(type));
  });

  it('keys each definition by its own type, named aggregate.entity.past_tense.vN', () => {
    for (const [key, definition] of Object.entries(EVENT_DEFINITIONS)) {
      expect(definition.type).toBe(key);
      expect(key).toMatch(/^oauth\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$/);
    }
    expect(EVENT_TYPES).toEqual(Object.keys(EVENT_DEFINITIONS));
  });

  it('knows only its own types', () => {
    expect(EVENT_TYPES.every(isEventType)).toBe(true);
    for (const name of ['oauth.access_token.issued.v2', '', 'toString', '__proto__', 'hasOwnProperty']) expect(isEventType(name)).toBe(false);
  });

  it('types an envelope by its event (compile-time check)', () => {
    const envelope: Envelope<typeof accessTokenIssued> = createEnvelope(accessTokenIssued, META);
    expect(envelope.data.tokenHash).toBe(accessTokenIssued.data.tokenHash);
  });
});
