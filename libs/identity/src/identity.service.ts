import { type AuthenticationFailureReason, type EventOf } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import {
  type AuthenticationResult,
  type Clock,
  CREDENTIAL_LIMITS,
  type CredentialCallMeta,
  type CredentialCheck,
  type CredentialVerdict,
  type CredentialVerifier,
  type Directory,
  type DirectoryRefusalReason,
  type DirectoryUser,
  DirectoryUnavailableError,
  type DisclosedRefusalReason,
  EventLogUnavailableError,
  type EventPublisher,
  IdentityUnavailableError,
  type Logger,
  silentLogger,
  type TtlStore,
  TtlStoreUnavailableError,
  withinCredentialLimits,
} from '@authz/ports';
import { canonicalIp, ipCounterSubject, usernameHashOf } from './login-subjects';
import { type LoginCounters, type LoginLock, LoginThrottle, type LoginThrottlePolicy } from './login-throttle';

export type IdentityServiceOptions = {
  directory: Directory;
  /** The brute-force counters (Redis; in memory in the embedded mode). */
  counters: TtlStore;
  publisher: EventPublisher;
  clock: Clock;
  policy: LoginThrottlePolicy;
  /**
   * An `invalid_credentials` answer leaves no sooner than this many ms after the attempt began
   * (LOGIN_FAILURE_MIN_MS; default 0). An unknown user costs one search, a wrong password a search and a
   * bind: without a floor, the difference in time tells who exists.
   */
  failureFloorMs?: number;
  /**
   * Refusals the user may be told about (LOGIN_DISCLOSE_REASONS): the directory refused a right password
   * because it has expired or must be changed. Default none: every refusal is `invalid_credentials`.
   */
  discloseReasons?: readonly DisclosedRefusalReason[];
  logger?: Logger;
};

/** Per-call metadata: the correlation id of the request that caused the attempt (events, logs); the port's CredentialCallMeta. */
export type VerifyMeta = CredentialCallMeta;

type Attempt = {
  check: CredentialCheck;
  counters: LoginCounters;
  /** Hash of the full canonical IP, for the events (the counter may count an IPv6 /64). */
  eventIpHash: string | undefined;
  meta: VerifyMeta;
};

/**
 * Checks a username and password: the CredentialVerifier behind the login page and the password grant.
 *
 *  1. refuse what is beyond CREDENTIAL_LIMITS (`invalid_credentials`, no bind, not counted);
 *  2. the brute-force check, per username and per client IP: when locked or in a growing delay,
 *     `locked` with `retryAfter`, and no bind at all; a username with failures gets one attempt at a time;
 *  3. exactly one bind as the user (Directory.authenticate: search with an escaped filter, then bind);
 *  4. a failure is counted (both counters; a delay or a lockout may start); a success clears the
 *     username's counter; a failure is answered no sooner than `failureFloorMs` after the start, so that
 *     an unknown user (a search) and a wrong password (a search and a bind) take the same time;
 *  5. the outcome is recorded as oauth.user.authenticated.v1 or oauth.user.authentication_failed.v1
 *     and the caller answered only once the log has acknowledged it.
 *
 * Fail closed: a directory or counter-store outage, or an event log that does not acknowledge, rejects
 * with IdentityUnavailableError and counts nothing. On an outage of the directory or of the counter
 * store, the failure event (reason `directory_unavailable` / `counter_store_unavailable`) is published
 * on a best-effort basis: the log may be down too.
 * The password goes to the directory and nowhere else: not to an event, a log line or a key.
 */
export class IdentityService implements CredentialVerifier {
  private readonly directory: Directory;
  private readonly publisher: EventPublisher;
  private readonly clock: Clock;
  private readonly throttle: LoginThrottle;
  private readonly logger: Logger;
  private readonly failureFloorMs: number;
  private readonly discloseReasons: ReadonlySet<string>;

  constructor(options: IdentityServiceOptions) {
    this.directory = options.directory;
    this.publisher = options.publisher;
    this.clock = options.clock;
    this.throttle = new LoginThrottle(options.counters, options.policy, options.clock);
    this.logger = (options.logger ?? silentLogger).child({ component: 'identity' });
    this.failureFloorMs = options.failureFloorMs ?? 0;
    this.discloseReasons = new Set(options.discloseReasons ?? []);
  }

  async verify(check: CredentialCheck, meta: VerifyMeta = {}): Promise<CredentialVerdict> {
    if (check.clientId.length === 0 || check.clientId.length > CREDENTIAL_LIMITS.clientIdMaxLength) {
      throw new RangeError(`clientId must have 1 to ${CREDENTIAL_LIMITS.clientIdMaxLength} characters`);
    }
    if (!withinCredentialLimits(check.username, check.password)) return { outcome: 'invalid_credentials' };
    const started = performance.now();
    const attempt = this.attemptOf(check, meta);

    const { lock, usernameFailures: failedBefore } = await this.guard(attempt, () => this.throttle.check(attempt.counters));
    if (lock) return this.refuseLocked(attempt, lock);
    // A username that has failed before gets one attempt at a time: a parallel burst cannot outrun the counter.
    const serialized = failedBefore > 0;
    if (serialized) {
      if (!(await this.guard(attempt, () => this.throttle.acquire(attempt.counters)))) {
        return this.refuseLocked(attempt, { by: 'username', until: this.clock.now().getTime() + 1000 });
      }
      // Check again under the marker: an attempt that held it between our check and our acquire may have
      // recorded a failure that set a delay or a lockout; this attempt must honour it, not bind.
      let recheck: Awaited<ReturnType<LoginThrottle['check']>>;
      try {
        recheck = await this.guard(attempt, () => this.throttle.check(attempt.counters));
      } catch (error) {
        await this.throttle.release(attempt.counters).catch(() => undefined);
        throw error;
      }
      if (recheck.lock) {
        await this.throttle.release(attempt.counters).catch(() => undefined);
        return this.refuseLocked(attempt, recheck.lock);
      }
    }

    let decided:
      | { outcome: 'invalid_credentials'; usernameFailures: number; reason: DirectoryRefusalReason }
      | { outcome: 'authenticated'; user: DirectoryUser; graceLoginsRemaining: number | undefined };
    try {
      const result = await this.bindOnce(attempt);
      if (result.outcome === 'invalid_credentials') {
        const { usernameFailures } = await this.guard(attempt, () => this.throttle.recordFailure(attempt.counters));
        // Every refusal of the directory counts (a locked or expired account's attempts are failed attempts).
        decided = { outcome: 'invalid_credentials', usernameFailures, reason: result.reason ?? 'invalid_credentials' };
      } else {
        await this.guard(attempt, () => this.throttle.recordSuccess(attempt.counters));
        decided = { outcome: 'authenticated', user: result.user, graceLoginsRemaining: result.passwordPolicy?.graceLoginsRemaining };
      }
    } finally {
      if (serialized) await this.throttle.release(attempt.counters).catch(() => undefined);
    }

    if (decided.outcome === 'invalid_credentials') {
      const { usernameFailures, reason } = decided;
      await this.record(this.failed(attempt, reason, { usernameFailures }), attempt.meta);
      this.logger.info({ usernameHash: attempt.counters.usernameHash, clientId: check.clientId, usernameFailures, reason }, 'login failed');
      const wait = this.failureFloorMs - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
      // Only a reason that is configured to be told, and only one that the directory gives for a right password.
      return this.discloseReasons.has(reason) ? { outcome: 'invalid_credentials', reason: reason as DisclosedRefusalReason } : { outcome: 'invalid_credentials' };
    }

    const authTime = Math.floor(this.clock.now().getTime() / 1000);
    await this.record(
      {
        type: 'oauth.user.authenticated.v1',
        subject: attempt.counters.usernameHash,
        data: {
          usernameHash: attempt.counters.usernameHash,
          subject: decided.user.subject,
          clientId: check.clientId,
          ...(attempt.eventIpHash !== undefined ? { clientIpHash: attempt.eventIpHash } : {}),
          authTime,
          ...(decided.graceLoginsRemaining !== undefined ? { graceLoginsRemaining: decided.graceLoginsRemaining } : {}),
        },
      },
      attempt.meta,
    );
    this.logger.info({ usernameHash: attempt.counters.usernameHash, clientId: check.clientId }, 'login succeeded');
    return { outcome: 'authenticated', user: decided.user, authTime };
  }

  /** Directory.authenticate: one search, at most one bind as the user. Its outage becomes IdentityUnavailableError. */
  private async bindOnce(attempt: Attempt): Promise<AuthenticationResult> {
    try {
      return await this.directory.authenticate(attempt.check.username, attempt.check.password);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      await this.reportOutage(attempt, 'directory_unavailable');
      throw new IdentityUnavailableError('the directory is unavailable', { cause: error });
    }
  }

  private attemptOf(check: CredentialCheck, meta: VerifyMeta): Attempt {
    const ip = check.clientIp !== undefined ? canonicalIp(check.clientIp) : null;
    if (check.clientIp !== undefined && ip === null) this.logger.warn({ clientId: check.clientId }, 'clientIp is not an IP address; not counted per IP');
    return {
      check,
      counters: {
        usernameHash: usernameHashOf(check.username),
        ...(ip !== null ? { clientIpHash: sha256Hash(ipCounterSubject(ip)) } : {}),
      },
      eventIpHash: ip !== null ? sha256Hash(ip) : undefined,
      meta,
    };
  }

  private async refuseLocked(attempt: Attempt, lock: LoginLock): Promise<CredentialVerdict> {
    const retryAfter = Math.max(1, Math.ceil((lock.until - this.clock.now().getTime()) / 1000));
    await this.record(this.failed(attempt, 'locked', { lockedBy: lock.by, lockedUntil: Math.ceil(lock.until / 1000) }), attempt.meta);
    this.logger.info({ usernameHash: attempt.counters.usernameHash, clientId: attempt.check.clientId, lockedBy: lock.by, retryAfter }, 'login refused: locked');
    return { outcome: 'locked', retryAfter };
  }

  /** Runs a counter-store operation; its outage is reported and becomes IdentityUnavailableError. */
  private async guard<T>(attempt: Attempt, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof TtlStoreUnavailableError)) throw error;
      await this.reportOutage(attempt, 'counter_store_unavailable');
      throw new IdentityUnavailableError('the brute-force counters are unavailable', { cause: error });
    }
  }

  /** Best effort: the log may be down as well; the caller answers 503 anyway. */
  private async reportOutage(attempt: Attempt, reason: 'directory_unavailable' | 'counter_store_unavailable'): Promise<void> {
    this.logger.warn({ usernameHash: attempt.counters.usernameHash, clientId: attempt.check.clientId, reason }, 'login not decided: dependency unavailable');
    try {
      await this.publisher.publish(this.failed(attempt, reason), attempt.meta);
    } catch (error) {
      this.logger.warn({ reason, err: error instanceof Error ? error.message : String(error) }, 'could not record the failed login either');
    }
  }

  /** Publishes and waits for the acknowledgement; a log that does not acknowledge fails the attempt closed. */
  private async record(event: EventOf<'oauth.user.authenticated.v1'> | EventOf<'oauth.user.authentication_failed.v1'>, meta: VerifyMeta): Promise<void> {
    try {
      await this.publisher.publish(event, meta.correlationId ? { correlationId: meta.correlationId } : {});
    } catch (error) {
      if (!(error instanceof EventLogUnavailableError)) throw error;
      throw new IdentityUnavailableError('the event log is unavailable', { cause: error });
    }
  }

  private failed(
    attempt: Attempt,
    reason: AuthenticationFailureReason,
    details: Partial<Pick<EventOf<'oauth.user.authentication_failed.v1'>['data'], 'usernameFailures' | 'lockedBy' | 'lockedUntil'>> = {},
  ): EventOf<'oauth.user.authentication_failed.v1'> {
    return {
      type: 'oauth.user.authentication_failed.v1',
      subject: attempt.counters.usernameHash,
      data: {
        usernameHash: attempt.counters.usernameHash,
        clientId: attempt.check.clientId,
        ...(attempt.eventIpHash !== undefined ? { clientIpHash: attempt.eventIpHash } : {}),
        reason,
        ...details,
      },
    };
  }
}
