/**
 * Code built to hurt the parser: deep nesting stops at MAX_NESTING with SCRIPT_LIMIT and the
 * position, huge literals lex in linear time, and the AST stays as shallow as the limit.
 */
import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { MAX_NESTING } from '../../src/script/parser.js';
import { parseCode } from '../../src/script/index.js';
import { tokenize } from '../../src/script/lexer.js';
import type { CodeFile } from '../../src/script/index.js';
import { errorOf } from '../archive/helpers.js';

const returning = (expr: string): string => `def f(x):\n  return ${expr}\n`;

/** Height of the AST, measured without recursion so the test itself survives any depth. */
function height(file: CodeFile): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[file, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    for (const [key, child] of Object.entries(value)) if (key !== 'pos') pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Every path that nests, at a given source depth. */
const NESTINGS: Record<string, (n: number) => string> = {
  calls: (n) => returning(`${'torch.relu('.repeat(n)}x${')'.repeat(n)}`),
  parentheses: (n) => returning(`${'('.repeat(n)}x${')'.repeat(n)}`),
  lists: (n) => returning(`${'['.repeat(n)}x${']'.repeat(n)}`),
  dicts: (n) => returning(`${'{1: '.repeat(n)}x${'}'.repeat(n)}`),
  subscripts: (n) => returning(`${'x['.repeat(n)}0${']'.repeat(n)}`),
  'subscript chain': (n) => returning(`x${'[0]'.repeat(n)}`),
  'attribute chain': (n) => returning(`x${'.a'.repeat(n)}`),
  'call chain': (n) => returning(`f${'()'.repeat(n)}`),
  'minus chain': (n) => returning(`${'-'.repeat(n)}x`),
  'not chain': (n) => returning(`${'not '.repeat(n)}x`),
  'tilde chain': (n) => returning(`${'~'.repeat(n)}x`),
  'left-associative operators': (n) => returning(Array(n + 1).fill('x').join(' + ')),
  powers: (n) => returning(Array(n + 1).fill('x').join(' ** ')),
  ternaries: (n) => returning(`${'x if c else '.repeat(n)}x`),
  'mixed boolean operators': (n) => returning(Array.from({ length: n + 1 }, (_, i) => `x${i}`).join(' and y or ')),
  blocks: (n) => `def f(x):\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}if x:\n`).join('')}${' '.repeat(n + 1)}pass\n`,
  loops: (n) => `def f(x):\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}for i in x:\n`).join('')}${' '.repeat(n + 1)}pass\n`,
  'elif chain': (n) => `def f(x):\n  if x:\n    pass\n${'  elif x:\n    pass\n'.repeat(n)}`,
  'nested defs': (n) => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}def f(x):\n`).join('')}${' '.repeat(n)}pass\n`,
  types: (n) => `def f(x: ${'List['.repeat(n)}int${']'.repeat(n)}):\n  pass\n`,
  'isinstance tuples': (n) => returning(`isinstance(x, ${'('.repeat(n)}int${',)'.repeat(n)})`),
};

/** Indentation grows with depth, so their text grows with its square: 2,000 levels are already 2 MB. */
const INDENTED = new Set(['blocks', 'loops', 'nested defs']);

describe(`nesting limit (${MAX_NESTING})`, () => {
  for (const [name, make] of Object.entries(NESTINGS)) {
    const deep = INDENTED.has(name) ? 2_000 : 20_000;
    it(`${name}: ${deep} deep is SCRIPT_LIMIT with file and line, never a stack overflow`, () => {
      const error = errorOf(() => parseCode('code/__torch__/m.py', make(deep)));
      expect(error.code).toBe('SCRIPT_LIMIT');
      expect(error.message).toBe(`code nests deeper than ${MAX_NESTING} levels (expressions, blocks and types count)`);
      expect(error.location?.file).toBe('code/__torch__/m.py');
      expect(error.location?.line).toBeGreaterThanOrEqual(1);
    });

    it(`${name}: what parses keeps the AST within the limit`, () => {
      let deepest = 0;
      for (let n = 1; n <= 2 * MAX_NESTING; n *= 2) {
        let file: CodeFile;
        try {
          file = parseCode('code/t.py', make(n));
        } catch (error) {
          expect((error as TsonnxError).code).toBe('SCRIPT_LIMIT');
          break;
        }
        deepest = Math.max(deepest, height(file));
      }
      // Each level is a few AST objects (node, its field, an array of items).
      expect(deepest).toBeLessThanOrEqual(4 * MAX_NESTING);
    });
  }

  it('keeps flat chains flat: 20,000 comparisons, `and` operands and statements parse', () => {
    const chains = [
      returning(Array(20_001).fill('x').join(' < ')),
      returning(Array(20_001).fill('x').join(' and ')),
      `def f(x):\n${'  x = x + 1\n'.repeat(20_000)}`,
      returning(`[${Array(20_000).fill('x').join(', ')}]`),
    ];
    for (const text of chains) expect(height(parseCode('code/t.py', text))).toBeLessThan(20);
  });

  it('accepts 50-deep nesting of every kind, far more than torch prints', () => {
    for (const [name, make] of Object.entries(NESTINGS)) expect(() => parseCode('code/t.py', make(50)), name).not.toThrow();
  });

  it('50,000 nested parentheses stop at the line where the limit is crossed', () => {
    const text = `def f(x):\n  y = 1\n  return ${'(\n'.repeat(50_000)}x${')'.repeat(50_000)}\n`;
    const error = errorOf(() => parseCode('code/t.py', text));
    expect(error.code).toBe('SCRIPT_LIMIT');
    expect(error.location?.line).toBeGreaterThan(3);
    expect(error.location?.line).toBeLessThan(3 + MAX_NESTING);
  });
});

describe('huge literals', () => {
  it('lexes a 10 MB number, string and name in linear time', () => {
    const digits = '7'.repeat(10 * 2 ** 20);
    const float = tokenize('f.py', `${digits}.5`);
    expect(float[0]).toMatchObject({ kind: 'float', number: Infinity });
    const string = tokenize('f.py', `'${'s'.repeat(10 * 2 ** 20)}'`);
    expect(string[0].text.length).toBe(10 * 2 ** 20);
    const name = tokenize('f.py', 'n'.repeat(10 * 2 ** 20));
    expect(name[0].kind).toBe('name');
    const error = errorOf(() => tokenize('f.py', `x = ${digits}`));
    expect(error.code).toBe('SCRIPT_SYNTAX');
    expect(error.message).toBe(`integer literal ${'7'.repeat(40)}… does not fit in int64`);
    expect(error.location).toEqual({ file: 'f.py', line: 1, column: 5 });
  });

  it('reads floats beyond double range as infinity, as strtod does', () => {
    expect(tokenize('f.py', '1e400')[0].number).toBe(Infinity);
    expect(tokenize('f.py', '1e-400')[0].number).toBe(0);
  });

  it('refuses int literals beyond int64, except -9223372036854775808', () => {
    for (const literal of ['99999999999999999999999', '9223372036854775809', '0x10000000000000000', '0x8000000000000001']) {
      const error = errorOf(() => tokenize('f.py', literal));
      expect(error.code, literal).toBe('SCRIPT_SYNTAX');
      expect(error.message).toBe(`integer literal ${literal} does not fit in int64`);
    }
    expect(tokenize('f.py', `${'0'.repeat(2 ** 20)}7`)[0].number).toBe(7);
    for (const text of ['9223372036854775808', '1 + 9223372036854775808', '-9223372036854775808 ** 2', '- -9223372036854775808', '0x8000000000000000']) {
      const error = errorOf(() => parseCode('code/t.py', returning(text)));
      expect(error.code, text).toBe('SCRIPT_SYNTAX');
      expect(error.message, text).toMatch(/^integer literal -?\w+ does not fit in int64$/);
    }
    const body = parseCode('code/t.py', returning('[-9223372036854775808, -0x8000000000000000, 9223372036854775807]')).functions[0].body[0];
    expect(body).toMatchObject({ value: { items: [{ value: -(2n ** 63n) }, { value: -(2n ** 63n) }, { value: 2n ** 63n - 1n }] } });
  });

  it('keeps messages about huge tokens to one short line', () => {
    const error = errorOf(() => parseCode('code/t.py', `def f(x):\n  return x ${'"'}${'q\\n'.repeat(100_000)}${'"'}\n`));
    expect(error.code).toBe('SCRIPT_SYNTAX');
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).not.toContain('\n');
  });
});
