import { AsyncResource } from 'node:async_hooks';

type Bind = <F extends (...args: never[]) => unknown>(this: AsyncResource, fn: F, thisArg?: unknown) => F;

/**
 * AsyncResource#bind without the deprecated `asyncResource` accessor (DEP0172), installed once by
 * createHttpApp.
 *
 * Node 20–24 defines that accessor on every function it binds, its getter and setter made by
 * util.deprecate, and that keeps the bound function and everything its closure reaches alive through
 * the young generation's collections (scavenges), which then promote it: Fastify binds its body
 * parser's callback per request (`new AsyncResource('content-type-parser:run', …).bind(onDone)`), whose
 * closure holds the request and the reply, so every POST's objects went to the old space. Measured in
 * the introspection service at 30k requests/s: a scavenge every ~80 ms, each promoting 15–16 MB and
 * pausing the process 16–28 ms, the p99 at half load ~30 ms against a p50 of 1 ms. A minimal Fastify
 * POST route: 42.8k/s with 23 ms scavenges, 74.7k/s with 0.2 ms ones under this bind; a GET route, or a
 * bare node:http POST, never promoted anything (docs/benchmarks.md).
 *
 * Same contract otherwise: `fn` runs in the resource's async scope (runInAsyncScope), with `thisArg`
 * as `this` when given, else the caller's; the bound function has `fn`'s length; a non-function is a
 * TypeError with code ERR_INVALID_ARG_TYPE. Only reading `bound.asyncResource` (deprecated since Node
 * 20) is gone.
 */
function bind(this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown): (...args: unknown[]) => unknown {
  if (typeof fn !== 'function') {
    throw Object.assign(new TypeError(`The "fn" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  const run = (self: unknown, args: unknown[]): unknown => this.runInAsyncScope(fn, self, ...args);
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]) {
          return run(this, args);
        }
      : (...args: unknown[]) => run(thisArg, args);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  return bound;
}

let installed = false;

/** Replaces AsyncResource.prototype.bind (and so the static AsyncResource.bind) in this process; idempotent. */
export function installAsyncResourceBind(): void {
  if (installed) return;
  (AsyncResource.prototype as unknown as { bind: Bind }).bind = bind as unknown as Bind;
  installed = true;
}
