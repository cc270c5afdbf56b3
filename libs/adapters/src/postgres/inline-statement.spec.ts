import { describe, expect, it } from '@jest/globals';
import { inlineStatement, inlineStatements } from './inline-statement';

describe('inlineStatement', () => {
  it('replaces each $n with its value as a quoted literal, as node-postgres would send it', () => {
    expect(
      inlineStatement({
        text: 'SELECT $1::int, $2, $3::text[], $4::jsonb, $5, $6, $7, $1',
        values: [42, 'plain', ['a', 'b c', 'd"e'], { k: [1, null] }, true, null, undefined],
      }),
    ).toBe(`SELECT '42'::int, 'plain',  E'{"a","b c","d\\\\"e"}'::text[], '{"k":[1,null]}'::jsonb, 'true', NULL, NULL, '42'`);
  });

  it('doubles quotes, and writes E-strings with doubled backslashes when a value has one', () => {
    expect(inlineStatement({ text: 'SELECT $1, $2', values: ["it's", 'a\\b'] })).toBe(`SELECT 'it''s',  E'a\\\\b'`);
  });

  it('writes Buffers as bytea hex and Dates as node-postgres does', () => {
    const at = new Date('2026-11-22T10:00:00.123Z');
    const inlined = inlineStatement({ text: 'SELECT $1::bytea, $2::timestamptz', values: [Buffer.from([0, 1, 254]), at] });
    expect(inlined.startsWith(`SELECT  E'\\\\x0001fe'::bytea, '`)).toBe(true);
    expect(new Date(/'([^']+)'::timestamptz$/.exec(inlined)![1]!).getTime()).toBe(at.getTime());
  });

  it('leaves $n alone inside strings, quoted identifiers, comments, dollar quotes and names', () => {
    const text = [
      `SELECT '$1', E'\\'$1', "col$1", a$1, $tag$ $1 $tag$, $$ $1 $$ -- $1`,
      `/* $1 /* nested $1 */ still $1 */ , $1`,
    ].join('\n');
    expect(inlineStatement({ text, values: ['x'] })).toBe(
      [`SELECT '$1', E'\\'$1', "col$1", a$1, $tag$ $1 $tag$, $$ $1 $$ -- $1`, `/* $1 /* nested $1 */ still $1 */ , 'x'`].join('\n'),
    );
  });

  it('takes $10 as the tenth value, not the first followed by 0', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineStatement({ text: 'SELECT $10, $1', values })).toBe(`SELECT 'v10', 'v1'`);
  });

  it('refuses a $n beyond its values, and a value with a NUL character (it would cut the message short)', () => {
    expect(() => inlineStatement({ text: 'SELECT $2', values: ['one'] })).toThrow(new RangeError('statement refers to $2 but has 1 value(s)'));
    expect(() => inlineStatement({ text: 'SELECT $0', values: ['one'] })).toThrow(RangeError);
    expect(() => inlineStatement({ text: 'SELECT $1', values: ['a\0b'] })).toThrow(expect.objectContaining({ code: '22021' }));
  });

  it('inlines the same text again with each call\'s own values, checking them each time', () => {
    const text = 'SELECT $2, $1 -- same text each call';
    expect(inlineStatement({ text, values: ['a', 'b'] })).toBe(`SELECT 'b', 'a' -- same text each call`);
    expect(inlineStatement({ text, values: ["c'", null] })).toBe(`SELECT NULL, 'c''' -- same text each call`);
    expect(() => inlineStatement({ text, values: ['only one'] })).toThrow(new RangeError('statement refers to $2 but has 1 value(s)'));
  });

  it('drops a trailing semicolon, and joins statements with one', () => {
    expect(inlineStatements([{ text: 'SELECT 1;  \n' }, { text: 'SELECT $1', values: [2] }])).toBe(`SELECT 1;\nSELECT '2'`);
  });
});
