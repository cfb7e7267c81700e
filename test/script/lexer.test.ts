import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { tokenize, type Token } from '../../src/script/lexer.js';

function kinds(tokens: Token[]): string[] {
  return tokens.map((t) => (t.kind === 'op' || t.kind === 'keyword' || t.kind === 'name' ? t.text : t.kind));
}

function lexError(text: string): TsonnxError {
  try {
    tokenize('code/x.py', text);
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error('expected a syntax error');
}

describe('tokenize', () => {
  it('emits INDENT/DEDENT from any consistent indentation and skips blank and comment lines', () => {
    const text = 'def f():\n    if a:\n\n        # comment\n        return 1\n    pass\n';
    expect(kinds(tokenize('f.py', text))).toEqual([
      'def', 'f', '(', ')', ':', 'newline',
      'indent', 'if', 'a', ':', 'newline',
      'indent', 'return', 'int', 'newline',
      'dedent', 'pass', 'newline',
      'dedent', 'eof',
    ]);
  });

  it('ignores newlines inside brackets and after a backslash', () => {
    const text = 'x = f(a,\n      b)\ny = 1 + \\\n  2\n';
    expect(kinds(tokenize('f.py', text))).toEqual([
      'x', '=', 'f', '(', 'a', ',', 'b', ')', 'newline',
      'y', '=', 'int', '+', 'int', 'newline', 'eof',
    ]);
  });

  it('adds the final NEWLINE and DEDENTs when the file does not end with a newline', () => {
    expect(kinds(tokenize('f.py', 'class A:\n  x : int'))).toEqual([
      'class', 'A', ':', 'newline', 'indent', 'x', ':', 'int', 'newline', 'dedent', 'eof',
    ]);
  });

  it('reads numbers as C strtod does, never with a sign', () => {
    const tokens = tokenize('f.py', '1. .5 1e-05 1e+20 0x1p3 0x1.8p1 0x1F 3 9.9999999999999995e-07 2j 1.5J -1 1e')
      .filter((t) => t.kind !== 'newline' && t.kind !== 'eof');
    expect(tokens.map((t) => [t.kind, t.text, t.number])).toEqual([
      ['float', '1.', 1],
      ['float', '.5', 0.5],
      ['float', '1e-05', 1e-5],
      ['float', '1e+20', 1e20],
      ['float', '0x1p3', 8],
      ['float', '0x1.8p1', 3],
      ['int', '0x1F', 31],
      ['int', '3', 3],
      ['float', '9.9999999999999995e-07', 9.9999999999999995e-7],
      ['complex', '2j', 2],
      ['complex', '1.5J', 1.5],
      ['op', '-', undefined],
      ['int', '1', 1],
      ['int', '1', 1],
      ['name', 'e', undefined],
    ]);
  });

  it('keeps integers beyond 2^53 exact as bigint', () => {
    const [max, safe, unsafe] = tokenize('f.py', '9223372036854775807 9007199254740991 9007199254740993');
    expect(max!.number).toBe(9223372036854775807n);
    expect(safe!.number).toBe(9007199254740991);
    expect(unsafe!.number).toBe(9007199254740993n);
  });

  it('keeps inf and nan as names', () => {
    expect(tokenize('f.py', 'inf nan').slice(0, 2).map((t) => [t.kind, t.text])).toEqual([['name', 'inf'], ['name', 'nan']]);
  });

  it('decodes string escapes, octal escapes and triple-quoted strings', () => {
    const text = String.raw`'a\'b' "\\ \" \a\b\f\n\r\t\v" "\001\101" """x"y
z"""`;
    const strings = tokenize('f.py', text).filter((t) => t.kind === 'string').map((t) => t.text);
    expect(strings).toEqual(["a'b", '\\ " \x07\b\f\n\r\t\v', '\x01A', 'x"y\nz']);
  });

  it('reads multi-character operators longest first', () => {
    const text = 'a **= b // c -> d ... e != f <<= g >> h'.replace(/[a-h]/g, 'x');
    expect(tokenize('f.py', text).filter((t) => t.kind === 'op').map((t) => t.text))
      .toEqual(['**=', '//', '->', '...', '!=', '<<=', '>>']);
  });

  it('records 1-based lines and columns and UTF-8 byte offsets', () => {
    // "é" is 2 bytes and "😀" 4 bytes (a surrogate pair in the JS string).
    const text = 'x = "é😀"\ny = 1\n';
    const y = tokenize('f.py', text).find((t) => t.text === 'y')!;
    expect(y.pos).toEqual({ line: 2, column: 1, offset: Buffer.byteLength('x = "é😀"\n') });
    expect(y.pos.offset).toBe(13);
    const one = tokenize('f.py', text).find((t) => t.kind === 'int')!;
    expect(one.pos).toEqual({ line: 2, column: 5, offset: 17 });
  });

  it('counts lines inside triple-quoted strings and CRLF line ends', () => {
    const tokens = tokenize('f.py', 'a = """1\n2"""\r\nb = 2\r\n');
    expect(tokens.find((t) => t.text === 'b')!.pos).toEqual({ line: 3, column: 1, offset: 15 });
  });

  it('rejects an unterminated string at its opening quote', () => {
    const error = lexError('x = 1\ny = "abc\nz = 2\n');
    expect(error.code).toBe('SCRIPT_SYNTAX');
    expect(error.message).toBe('unterminated string literal');
    expect(error.location).toEqual({ file: 'code/x.py', line: 2, column: 5 });
  });

  it('rejects an unterminated triple-quoted string at end of file', () => {
    expect(lexError('x = """abc\n\n').location).toEqual({ file: 'code/x.py', line: 1, column: 5 });
  });

  it('rejects a dedent to a level that was never opened', () => {
    const error = lexError('def f():\n    a = 1\n  b = 2\n');
    expect(error.message).toBe('unindent does not match any outer indentation level');
    expect(error.location).toEqual({ file: 'code/x.py', line: 3, column: 3 });
  });

  it('rejects escapes that TorchScript does not know', () => {
    expect(lexError('x = "\\x41"').message).toBe("invalid escape sequence '\\x' in string literal");
    expect(lexError('x = "\\01"').message).toBe('ill-formed octal escape: expected three octal digits');
  });

  it('rejects stray characters', () => {
    const error = lexError('x = 1\ny = $\n');
    expect(error.message).toBe("unexpected character '$'");
    expect(error.location).toEqual({ file: 'code/x.py', line: 2, column: 5 });
  });
});
