import { randomBytes } from 'node:crypto';
import { sha256Hash } from '@authz/oauth';
import type { TtlStore } from '@authz/ports';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-use form tokens (CSRF): a rendered form carries a fresh random token issued for a binding (the
 * login interaction's id, or a dashboard session); a POST must present a token issued for that same
 * binding and not used yet (taken atomically): a forged form, a replayed one or another binding's fails.
 * Keys hold the hash of the token, never the token.
 */
export class FormTokens {
  constructor(
    private readonly store: TtlStore,
    private readonly ttlMs: number,
  ) {}

  async issue(binding: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.store.set(formKey(token), binding, this.ttlMs);
    return token;
  }

  /** True once, for a token issued for this binding; false for anything else. */
  async redeem(binding: string, token: string | undefined): Promise<boolean> {
    if (!token || !TOKEN.test(token)) return false;
    return (await this.store.take(formKey(token))) === binding;
  }
}

function formKey(token: string): string {
  return `form:${sha256Hash(token)}`;
}
