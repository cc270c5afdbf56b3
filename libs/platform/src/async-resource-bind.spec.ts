import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installAsyncResourceBind } from './async-resource-bind';

describe('AsyncResource#bind without the deprecated asyncResource accessor', () => {
  const nodeBind = AsyncResource.prototype.bind;

  describe('installed', () => {
    beforeAll(() => installAsyncResourceBind());
    afterAll(() => {
      AsyncResource.prototype.bind = nodeBind;
    });

    it('replaces the prototype method (the young-generation effect: async-resource-bind.int-spec.ts)', () => {
      expect(AsyncResource.prototype.bind).not.toBe(nodeBind);
    });

    it("runs the function in the resource's async context, not the caller's", () => {
      const storage = new AsyncLocalStorage<string>();
      const bound = storage.run('where it was bound', () => new AsyncResource('test').bind(() => storage.getStore()));
      expect(storage.run('where it is called', bound)).toBe('where it was bound');
      expect(bound()).toBe('where it was bound');
      const staticBound = storage.run('static', () => AsyncResource.bind(() => storage.getStore()));
      expect(staticBound()).toBe('static');
    });

    it("passes the arguments and the caller's this, or thisArg when given, and returns the result", () => {
      const caller = { name: 'caller' };
      const bound = new AsyncResource('test').bind(function (this: unknown, a: number, b: number) {
        return [this, a + b];
      });
      expect(bound.call(caller, 1, 2)).toEqual([caller, 3]);
      const fixed = { name: 'fixed' };
      const withThis = AsyncResource.prototype.bind as unknown as (this: AsyncResource, fn: (...args: number[]) => unknown, thisArg: unknown) => (...args: number[]) => unknown;
      const boundTo = withThis.call(
        new AsyncResource('test'),
        function (this: unknown, a: number) {
          return [this, a];
        },
        fixed,
      );
      expect(boundTo.call(caller, 7)).toEqual([fixed, 7]);
    });

    it("keeps the function's length and refuses what is not a function", () => {
      expect(new AsyncResource('test').bind((_a: number, _b: string, _c: boolean) => undefined).length).toBe(3);
      expect(() => new AsyncResource('test').bind('nope' as unknown as () => void)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    });

    it('propagates what the function throws', () => {
      const bound = new AsyncResource('test').bind(() => {
        throw new RangeError('inside');
      });
      expect(bound).toThrow(new RangeError('inside'));
    });
  });
});
