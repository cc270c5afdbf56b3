import { createLogger } from './logger';
import { isSensitiveKey, redact, REDACTED_KEYS, scrubString, secretSettingNames } from './redaction';
import { loadSettings, settingsSchema } from './settings';

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function capture(level = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ service: 'token', instanceId: 'pod-1', level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, output: () => lines.join('') };
}

/**
 * One random log call: a nested structure (objects, arrays, Errors with causes, child bindings, the
 * message) with secrets planted at random depths and places, each in a form the redaction must
 * recognise: the value of a sensitive key (any spelling), or inside a string as a JWT, an
 * Authorization credential, a form/query parameter, a URL password or a JSON member. `secrets` are
 * the substrings that must not appear; `visible` those that must (so redacting everything fails too).
 */
class Generator {
  readonly secrets: string[] = [];
  readonly visible: string[] = [];
  private readonly sensitiveKeys = [...REDACTED_KEYS, ...secretSettingNames(), 'Client-Secret', 'ACCESS_TOKEN', 'refreshToken', 'X-Code-Verifier'.slice(2)];

  constructor(private readonly random: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private word(min: number, max: number): string {
    const length = min + Math.floor(this.random() * (max - min + 1));
    let out = '';
    for (let index = 0; index < length; index += 1) out += BASE64URL[Math.floor(this.random() * BASE64URL.length)];
    return out;
  }

  private secret(): string {
    // A recognisable prefix would make the leak check trivially precise; 24+ random characters cannot collide with the rest.
    const value = this.word(24, 44);
    this.secrets.push(value);
    return value;
  }

  private plain(): string {
    const value = `v${this.word(10, 16)}`;
    this.visible.push(value);
    return value;
  }

  /** A string holding a secret in one of the forms recognised by value. */
  secretString(): string {
    const secret = this.secret();
    const filler = `${this.pick(['request failed', 'calling', 'got', 'sent', ''])} `;
    switch (Math.floor(this.random() * 12)) {
      case 0:
        return `${filler}Bearer ${secret}`;
      case 1: {
        const header = Buffer.from('{"alg":"ES256","kid":"k1"}').toString('base64url');
        const payload = Buffer.from(`{"sub":"${this.word(6, 10)}","jti":"${this.word(6, 10)}"}`).toString('base64url');
        this.secrets.push(payload);
        return `${filler}${header}.${payload}.${secret}`;
      }
      case 2: {
        const credentials = Buffer.from(`${this.word(5, 10)}:${secret}`).toString('base64');
        this.secrets.push(credentials);
        return `${filler}authorization: Basic ${credentials}`;
      }
      case 3:
        return `grant_type=authorization_code&${this.pick(['code', 'code_verifier', 'client_secret', 'refresh_token', 'password', 'client_assertion'])}=${secret}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb`;
      case 4:
        return `${filler}https://app.example/callback?state=${this.word(4, 8)}&${this.pick(['code', 'access_token', 'id_token'])}=${secret}`;
      case 5:
        return `https://app.example/cb#access_token=${secret}&token_type=Bearer&expires_in=600`;
      case 6:
        return `${this.pick(['postgres', 'redis', 'rediss', 'ldaps'])}://${this.pick(['user', 'postgres', 'default'])}:${secret}@db.internal:5432/authz`;
      case 7:
        return `${filler}{"${this.pick(['client_secret', 'password', 'refresh_token', 'access_token', 'code'])}":"${secret}","client_id":"c1"}`;
      case 8:
        return `authz_session=${secret}; Path=/; HttpOnly`;
      case 9:
        return `POST /token?token=${secret} HTTP/1.1`;
      case 10:
        return `${filler}bearer\t${secret}`;
      default:
        return `${filler}redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fcode%3D${secret}`;
    }
  }

  /** A value planted under a sensitive key: anything, it is replaced whole. */
  private secretValue(depth: number): unknown {
    switch (Math.floor(this.random() * 4)) {
      case 0:
        return this.secret();
      case 1:
        return [this.secret(), this.secret()];
      case 2:
        return { nested: this.secret(), deeper: { again: this.secret() } };
      default:
        return this.value(depth + 1, true);
    }
  }

  /** A random structure; `hasSecret` forces at least one secret somewhere below. */
  value(depth: number, hasSecret = false): unknown {
    const choice = depth > 5 ? Math.floor(this.random() * 3) : Math.floor(this.random() * 7);
    switch (choice) {
      case 0:
        return hasSecret || this.random() < 0.4 ? this.secretString() : this.plain();
      case 1:
        return Math.floor(this.random() * 1000);
      case 2: {
        const roll = this.random();
        if (roll < 0.3) return null;
        // A URL object with a code or token in its query, and a Map with a sensitive key (request-like values).
        if (roll < 0.45) return new URL(`https://app.example/cb?state=${this.plain()}&${this.pick(['code', 'access_token', 'refresh_token'])}=${this.secret()}`);
        if (roll < 0.6) return new Map<string, unknown>([[this.pick(this.sensitiveKeys), this.secret()], ['visible', this.plain()]]);
        if (roll < 0.75) return { method: 'POST', url: `/token?code=${this.secret()}`, headers: { authorization: `Bearer ${this.secret()}`, cookie: `authz_session=${this.secret()}`, 'user-agent': this.plain() }, query: { code: this.secret() } };
        return this.plain();
      }
      case 3: {
        const items = Array.from({ length: 1 + Math.floor(this.random() * 4) }, () => this.value(depth + 1));
        if (hasSecret) items.splice(Math.floor(this.random() * (items.length + 1)), 0, this.value(depth + 1, true));
        return items;
      }
      case 4: {
        const error = new Error(this.random() < 0.5 ? this.secretString() : `failed ${this.plain()}`, this.random() < 0.6 ? { cause: this.value(depth + 1, hasSecret) } : undefined);
        if (this.random() < 0.4) Object.assign(error, { [this.pick(this.sensitiveKeys)]: this.secret(), detail: this.plain() });
        return error;
      }
      default: {
        const record: Record<string, unknown> = {};
        const fields = 1 + Math.floor(this.random() * 4);
        for (let index = 0; index < fields; index += 1) record[`${this.pick(['meta', 'request', 'info', 'ctx', 'data', 'list'])}${index}`] = this.value(depth + 1);
        const where = `${this.pick(['outer', 'x', 'item'])}${fields}`;
        if (hasSecret || this.random() < 0.5) {
          if (this.random() < 0.5) record[this.pick(this.sensitiveKeys)] = this.secretValue(depth);
          else record[where] = this.value(depth + 1, true);
        }
        return record;
      }
    }
  }
}

describe('redaction', () => {
  /** REDACTION_SEEDS=30000 for a longer search. */
  const seeds = Number(process.env.REDACTION_SEEDS ?? 3000);

  it(`holds at any depth: ${seeds} random structures through the real logger leak no planted secret`, () => {
    let kept = 0;
    let planted = 0;
    for (let seed = 1; seed <= seeds; seed += 1) {
      const random = prng(seed);
      const generator = new Generator(random);
      const { logger, output } = capture();
      const record = generator.value(0, true) as unknown;
      const bindings = { reqId: 'r1', [random() < 0.5 ? 'token' : 'ctx']: generator.value(1, true) };
      const message = generator.secretString();
      const target = random() < 0.3 ? logger.child(bindings) : logger;
      const level = (['debug', 'info', 'warn', 'error'] as const)[Math.floor(random() * 4)]!;
      const marker = `keep-${seed}-${generator.secretString().length}`;
      target[level]({ ...(typeof record === 'object' && record !== null && !Array.isArray(record) && !(record instanceof Error) ? record : { value: record }), marker }, message);

      const text = output();
      const leaked = generator.secrets.filter((secret) => text.includes(secret));
      if (leaked.length > 0) throw new Error(`seed ${seed} leaked ${leaked.join(', ')}:\n${text.split(leaked[0]!)[0]!.slice(-300)}`);
      expect(text.endsWith('\n')).toBe(true);
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      // Not by redacting everything: ordinary values stay (those below a sensitive key go with it).
      expect(text).toContain(`"marker":"${marker}"`);
      kept += generator.visible.filter((value) => text.includes(value)).length;
      planted += generator.visible.length;
    }
    expect(kept / planted).toBeGreaterThan(0.5);
  });

  it('keeps ordinary values and replaces only the credential part of strings', () => {
    expect(redact({ clientId: 'billing', scope: 'api:read', status: 503, when: new Date(0), url: 'https://app.example/cb?state=xyz&code=abc123' })).toEqual({
      clientId: 'billing',
      scope: 'api:read',
      status: 503,
      when: '1970-01-01T00:00:00.000Z',
      url: 'https://app.example/cb?state=xyz&code=[redacted]',
    });
    expect(scrubString('grant_type=refresh_token&refresh_token=abc.def&scope=openid')).toBe('grant_type=refresh_token&refresh_token=[redacted]&scope=openid');
    expect(scrubString('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer [redacted]');
    expect(scrubString('token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln expired')).toBe('token [redacted] expired');
    expect(scrubString('postgres://postgres:hunter2@db:5432/authz')).toBe('postgres://[redacted]@db:5432/authz');
    expect(scrubString('{"client_id":"c1","client_secret":"s\\"x"}')).toBe('{"client_id":"c1","client_secret":"[redacted]"}');
    expect(scrubString('the access token expired')).toBe('the access token expired');
  });

  it('turns Errors into records, keeps their diagnosis, redacts their secrets and follows causes', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
    const error = Object.assign(new Error('publish failed: Bearer abcdefgh', { cause }), { password: 'hunter2', code: 'abc-lowercase-secret' });
    expect(redact({ err: error })).toEqual({
      err: {
        type: 'Error',
        message: 'publish failed: Bearer [redacted]',
        stack: expect.stringMatching(/^Error: publish failed: Bearer \[redacted\]\n/),
        password: '[redacted]',
        code: '[redacted]',
        cause: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:9092', stack: expect.any(String), code: 'ECONNREFUSED' },
      },
    });
  });

  it('cuts cycles and does not change what it was given', () => {
    const looped: Record<string, unknown> = { name: 'a', password: 'p' };
    looped.self = looped;
    expect(redact(looped)).toEqual({ name: 'a', password: '[redacted]', self: '[circular]' });
    expect(looped.password).toBe('p');
  });

  it('covers every secret setting of settings.ts (derived from the schema, not a list kept by hand)', () => {
    const secretish = Object.keys(settingsSchema.shape).filter((name) => /PASSWORD|SECRET|TOKEN|KEY|PEPPER|COOKIE|CREDENTIAL|PRIVATE/.test(name));
    // Settings whose names look secret but hold a lifetime, an algorithm, a prefix, a size or an id.
    const notSecret = new Set([
      'ACCESS_TOKEN_TTL',
      'REFRESH_TOKEN_TTL',
      'REFRESH_TOKEN_IDLE_TTL',
      'SIGNING_KEY_ALG',
      'SIGNING_KEY_ROTATION_INTERVAL',
      'SIGNING_KEY_RETENTION',
      'SIGNING_KEY_SCHEDULER_INTERVAL',
      'REDIS_KEY_PREFIX',
      'VERIFIED_TOKEN_CACHE_ENTRIES',
      'RESOURCE_MAX_TOKEN_LIFETIME',
    ]);
    const secrets = secretish.filter((name) => !notSecret.has(name));
    expect(secrets.filter((name) => !isSensitiveKey(name))).toEqual([]);
    expect(secretSettingNames().sort()).toEqual(secrets.sort());
    expect(secrets).toEqual(expect.arrayContaining(['KEY_ENCRYPTION_KEY', 'LDAP_BIND_PASSWORD', 'CLIENT_SECRET_PEPPER', 'REGISTRATION_INITIAL_ACCESS_TOKEN', 'IDENTITY_INTERNAL_TOKEN', 'SESSION_KEYS', 'LDAP_DIAGNOSTICS_TOKEN', 'RESOURCE_INTROSPECTION_CLIENT_SECRET']));
  });

  it('logs a whole settings object without any of its secrets (URLs keep their host, lose their password)', () => {
    const secret = (n: number) => `S${n}${'x'.repeat(10)}${BASE64URL.slice(n, n + 32)}`.slice(0, 43).padEnd(43, 'q');
    const env: Record<string, string> = {
      KEY_ENCRYPTION_KEY: secret(1),
      LDAP_BIND_PASSWORD: secret(2),
      CLIENT_SECRET_PEPPER: secret(3),
      REGISTRATION_INITIAL_ACCESS_TOKEN: secret(4),
      IDENTITY_INTERNAL_TOKEN: secret(5),
      SESSION_KEYS: secret(6),
      LDAP_DIAGNOSTICS_TOKEN: secret(7),
      RESOURCE_INTROSPECTION_CLIENT_ID: 'demo-api',
      RESOURCE_INTROSPECTION_CLIENT_SECRET: secret(8),
      DATABASE_URL: `postgres://authz:${secret(9)}@db.internal:5432/authz`,
      REDIS_URL: `redis://default:${secret(10)}@cache.internal:6379`,
    };
    const { logger, output } = capture();
    logger.info({ settings: loadSettings('token', env) }, 'settings');
    for (const [name, value] of Object.entries(env)) {
      if (name === 'RESOURCE_INTROSPECTION_CLIENT_ID') continue;
      const sensitive = name.endsWith('_URL') ? value.split(':')[2]!.split('@')[0]! : value;
      expect([name, output().includes(sensitive)]).toEqual([name, false]);
    }
    expect(output()).toContain('"DATABASE_URL":"postgres://[redacted]@db.internal:5432/authz"');
    expect(output()).toContain('"RESOURCE_INTROSPECTION_CLIENT_ID":"demo-api"');
  });
});
