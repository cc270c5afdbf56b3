import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type AuthorizationRequest, sha256Hash } from '@authz/oauth';
import type { TtlStore } from '@authz/ports';

/**
 * One trip through the login and consent pages, kept server-side (TTL store, so any replica serves the
 * next step) under a random id: the validated authorization request is never re-read from the browser.
 */
export type Interaction = {
  id: string;
  request: AuthorizationRequest;
  /** sha256 of the browser-binding cookie: only the browser that started the interaction continues it. */
  browser: string;
  /** Who goes through the consent page (the user who logged in, or the session's user). */
  login?: { subject: string; username: string; authTime: number; groups?: string[] };
  createdAt: number;
};

const requestSchema = z
  .object({
        responseType: z.enum(['code', 'token']),
        clientId: z.string(),
        redirectUri: z.string(),
        redirectUriGiven: z.boolean(),
        scopes: z.array(z.string()),
        requestedScope: z.string().optional(),
        state: z.string().optional(),
        codeChallenge: z.string().optional(),
        codeChallengeMethod: z.enum(['S256', 'plain']).optional(),
        prompt: z.array(z.enum(['none', 'login', 'consent'])),
        maxAge: z.number().int().optional(),
        resources: z.array(z.string()).optional(),
  })
  .strict();

const interactionSchema = z
  .object({
    id: z.string(),
    request: requestSchema,
    browser: z.string(),
    login: z.object({ subject: z.string(), username: z.string(), authTime: z.number().int(), groups: z.array(z.string()).max(10_000).optional() }).strict().optional(),
    createdAt: z.number().int(),
  })
  .strict();

const ID = /^[A-Za-z0-9_-]{43}$/;

/** A random 256-bit identifier, base64url. */
export function randomId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Interactions and their one-use form tokens. A rendered form carries the interaction id and a fresh
 * form token; a POST must present a token that was issued for that interaction and not used yet
 * (taken atomically): a forged form (CSRF), a replayed one or one from another interaction fails.
 * Keys hold hashes of the form tokens, never the tokens.
 */
export class InteractionStore {
  constructor(
    private readonly store: TtlStore,
    private readonly ttlMs: number,
  ) {}

  async save(interaction: Interaction): Promise<void> {
    await this.store.set(interactionKey(interaction.id), JSON.stringify(interaction), this.ttlMs);
  }

  async find(id: string | undefined): Promise<Interaction | undefined> {
    if (!id || !ID.test(id)) return undefined;
    const text = await this.store.get(interactionKey(id));
    if (text === null) return undefined;
    const parsed = interactionSchema.safeParse(safeJson(text));
    return parsed.success ? (parsed.data as Interaction) : undefined;
  }

  /**
   * A validated request waiting for its browser (POST /authorize without the binding cookie, see
   * AuthorizationFlow.authorize), under a one-use random id (key: its hash), for the interaction TTL.
   */
  async savePending(id: string, request: AuthorizationRequest): Promise<void> {
    await this.store.set(pendingKey(id), JSON.stringify(request), this.ttlMs);
  }

  /** The pending request, once; undefined when unknown, expired, already taken or malformed. */
  async takePending(id: string | undefined): Promise<AuthorizationRequest | undefined> {
    if (!id || !ID.test(id)) return undefined;
    const text = await this.store.take(pendingKey(id));
    if (text === null) return undefined;
    const parsed = requestSchema.safeParse(safeJson(text));
    return parsed.success ? (parsed.data as AuthorizationRequest) : undefined;
  }

  /** Ends an interaction (after its redirect): its forms are dead from now on. */
  async finish(id: string): Promise<void> {
    await this.store.delete(interactionKey(id));
  }

  async issueFormToken(interactionId: string): Promise<string> {
    const token = randomId();
    await this.store.set(formKey(token), interactionId, this.ttlMs);
    return token;
  }

  /** True once, for a token issued for this interaction; false for anything else. */
  async redeemFormToken(interactionId: string, token: string | undefined): Promise<boolean> {
    if (!token || !ID.test(token)) return false;
    return (await this.store.take(formKey(token))) === interactionId;
  }
}

function interactionKey(id: string): string {
  // The id is a capability: stored under its hash like every other bearer value.
  return `interaction:${sha256Hash(id)}`;
}

function pendingKey(id: string): string {
  return `pending-authorization:${sha256Hash(id)}`;
}

function formKey(token: string): string {
  return `form:${sha256Hash(token)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
