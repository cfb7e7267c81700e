/**
 * Lexer for serialized TorchScript code (docs/torchscript-format.md §4.10, after PyTorch's `lexer.cpp`):
 * significant indentation, bracket-aware newlines, strtod-style numbers and C-style string escapes.
 */
import { fail } from '../errors.js';
import type { Pos } from './ast.js';

export type TokenKind =
  | 'name'
  | 'keyword'
  | 'int'
  | 'float'
  | 'complex'
  | 'string'
  | 'op'
  | 'newline'
  | 'indent'
  | 'dedent'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier, keyword or operator text; the decoded value of a string; the source text of a number. */
  text: string;
  /** Value of an int (bigint beyond ±2^53), float, or the imaginary part of a complex literal. */
  number?: number | bigint;
  pos: Pos;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'def', 'class', 'if', 'elif', 'else', 'while', 'for', 'in', 'is', 'not', 'and', 'or', 'return',
  'raise', 'assert', 'break', 'continue', 'pass', 'del', 'global', 'import', 'with', 'as',
  'True', 'False', 'None',
]);

/** Operators by length, longest first, so that `**=` wins over `**` and `*`. */
const OPERATORS_3 = new Set(['...', '**=', '//=', '<<=', '>>=']);
const OPERATORS_2 = new Set([
  '->', '**', '//', '<<', '>>', '==', '!=', '<=', '>=',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=',
]);
const OPERATORS_1 = new Set([
  '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '=',
  '(', ')', '[', ']', '{', '}', ',', ':', '.',
]);

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

const CH_TAB = 9;
const CH_LF = 10;
const CH_FF = 12;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_HASH = 35;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_BACKSLASH = 92;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}

/**
 * Largest int literal: TorchScript reads them as int64 (`c10::stoll`), and 2^63 itself is
 * written only as `-9223372036854775808`, whose minus the parser folds in.
 */
export const INT_LITERAL_MAX = 2n ** 63n;
/** Significant digits of INT_LITERAL_MAX in decimal and in hex: a longer literal is out of range without parsing it. */
const MAX_DECIMAL_DIGITS = 19;
const MAX_HEX_DIGITS = 16;

/** Source text for messages, shortened to one screen. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Int token value: exact, as a bigint once it leaves the safe-integer range. */
export function intValue(text: string): number | bigint {
  if (text.length < 16 && !/^0[xX]/.test(text)) return Number(text);
  const big = BigInt(text);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Hexadecimal float (`0x1.8p3`) as C's strtod reads it. */
function hexFloatValue(text: string): number {
  const match = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(text);
  if (!match) return NaN;
  const fraction = match[2] ?? '';
  const mantissa = parseInt((match[1] ?? '') + fraction || '0', 16);
  const exponent = Number(match[3] ?? '0') - 4 * fraction.length;
  return mantissa * 2 ** exponent;
}

class Lexer {
  private readonly tokens: Token[] = [];
  private readonly indents: number[] = [0];
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private bracketDepth = 0;
  /** Monotonic cursor converting char indexes to UTF-8 byte offsets; unused for ASCII text. */
  private readonly ascii: boolean;
  private byteCursorChar = 0;
  private byteCursorByte = 0;

  constructor(private readonly file: string, private readonly text: string) {
    this.ascii = !/[^\x00-\x7f]/.test(text);
  }

  run(): Token[] {
    const text = this.text;
    let atLineStart = true;
    while (true) {
      if (atLineStart && this.bracketDepth === 0) {
        if (!this.readIndentation()) break;
        atLineStart = false;
      }
      if (this.i >= text.length) break;
      const c = text.charCodeAt(this.i);
      if (c === CH_SPACE || c === CH_TAB || c === CH_FF) {
        this.i++;
      } else if (c === CH_LF || c === CH_CR) {
        if (this.bracketDepth === 0) {
          this.push('newline', '\n', this.i);
          atLineStart = true;
        }
        this.skipLineBreak();
      } else if (c === CH_HASH) {
        this.skipComment();
      } else if (c === CH_BACKSLASH) {
        this.i++;
        const next = text.charCodeAt(this.i);
        if (next !== CH_LF && next !== CH_CR) this.error(this.i - 1, 'unexpected character after line continuation');
        this.skipLineBreak();
      } else if (isDigit(c) || (c === CH_DOT && isDigit(text.charCodeAt(this.i + 1)))) {
        this.readNumber();
      } else if (isNameStart(c)) {
        this.readName();
      } else if (c === 34 || c === 39) {
        this.readString(c);
      } else {
        this.readOperator();
      }
    }
    // Inside an unclosed bracket the statement is unfinished: let the parser meet end of file.
    if (this.bracketDepth === 0) {
      const last = this.tokens[this.tokens.length - 1];
      if (last && last.kind !== 'newline' && last.kind !== 'dedent') this.push('newline', '\n', this.i);
      while (this.indents.length > 1) {
        this.indents.pop();
        this.push('dedent', '', this.i);
      }
    }
    this.push('eof', '', this.i);
    return this.tokens;
  }

  /**
   * Measures the indentation of the next non-blank line and emits INDENT/DEDENT tokens.
   * Returns false at end of input.
   */
  private readIndentation(): boolean {
    const text = this.text;
    while (true) {
      let width = 0;
      let j = this.i;
      for (; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (c === CH_SPACE) width++;
        else if (c === CH_TAB) width = width - (width % 8) + 8;
        else if (c === CH_FF) width = 0;
        else break;
      }
      this.i = j;
      if (j >= text.length) return false;
      const c = text.charCodeAt(j);
      if (c === CH_LF || c === CH_CR) {
        this.skipLineBreak();
        continue;
      }
      if (c === CH_HASH) {
        this.skipComment();
        continue;
      }
      const current = this.indents[this.indents.length - 1]!;
      if (width > current) {
        this.indents.push(width);
        this.push('indent', '', j);
      } else if (width < current) {
        while (width < this.indents[this.indents.length - 1]!) {
          this.indents.pop();
          this.push('dedent', '', j);
        }
        if (width !== this.indents[this.indents.length - 1]) {
          this.error(j, 'unindent does not match any outer indentation level');
        }
      }
      return true;
    }
  }

  private skipLineBreak(): void {
    if (this.text.charCodeAt(this.i) === CH_CR && this.text.charCodeAt(this.i + 1) === CH_LF) this.i++;
    this.i++;
    this.line++;
    this.lineStart = this.i;
  }

  private skipComment(): void {
    const text = this.text;
    let j = this.i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === CH_LF || c === CH_CR) break;
      j++;
    }
    this.i = j;
  }

  private readName(): void {
    const text = this.text;
    const start = this.i;
    let j = start + 1;
    while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
    const name = text.slice(start, j);
    this.i = j;
    this.push(KEYWORDS.has(name) ? 'keyword' : 'name', name, start);
  }

  /** Consumes what C's strtod would, plus an optional `j` suffix; never a sign. */
  private readNumber(): void {
    const text = this.text;
    const start = this.i;
    let j = start;
    let isFloat = false;
    let value: number | bigint;
    const c1 = text.charCodeAt(j + 1);
    if (text.charCodeAt(j) === CH_0 && (c1 === 120 || c1 === 88) && (isHexDigit(text.charCodeAt(j + 2)) ||
      (text.charCodeAt(j + 2) === CH_DOT && isHexDigit(text.charCodeAt(j + 3))))) {
      j += 2;
      while (isHexDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === CH_DOT) {
        isFloat = true;
        j++;
        while (isHexDigit(text.charCodeAt(j))) j++;
      }
      const afterExponent = this.exponentEnd(j, 112, 80);
      if (afterExponent !== j) isFloat = true;
      j = afterExponent;
      const source = text.slice(start, j);
      value = isFloat ? hexFloatValue(source) : this.intLiteral(source, start);
    } else {
      while (isDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === CH_DOT) {
        isFloat = true;
        j++;
        while (isDigit(text.charCodeAt(j))) j++;
      }
      const afterExponent = this.exponentEnd(j, 101, 69);
      if (afterExponent !== j) isFloat = true;
      j = afterExponent;
      const source = text.slice(start, j);
      value = isFloat ? Number(source) : this.intLiteral(source, start);
    }
    const suffix = text.charCodeAt(j);
    if (suffix === 106 || suffix === 74) {
      this.i = j + 1;
      this.push('complex', text.slice(start, j + 1), start, Number(value));
      return;
    }
    this.i = j;
    this.push(isFloat ? 'float' : 'int', text.slice(start, j), start, value);
  }

  /** An int literal's value; refused beyond INT_LITERAL_MAX before any big-number parsing, so long literals cost linear time. */
  private intLiteral(source: string, start: number): number | bigint {
    const hex = /^0[xX]/.test(source);
    const digits = source.slice(hex ? 2 : 0).replace(/^0+/, '');
    const value = digits.length <= (hex ? MAX_HEX_DIGITS : MAX_DECIMAL_DIGITS) ? intValue(hex ? `0x${digits || '0'}` : digits || '0') : undefined;
    if (value === undefined || value > INT_LITERAL_MAX) this.error(start, `integer literal ${clip(source)} does not fit in int64`);
    return value;
  }

  /** End of an exponent part (`e-05`, `p3`) starting at j, or j when there is none. */
  private exponentEnd(j: number, lower: number, upper: number): number {
    const text = this.text;
    const c = text.charCodeAt(j);
    if (c !== lower && c !== upper) return j;
    let k = j + 1;
    const sign = text.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (!isDigit(text.charCodeAt(k))) return j;
    while (isDigit(text.charCodeAt(k))) k++;
    return k;
  }

  private readString(quote: number): void {
    const text = this.text;
    const start = this.i;
    const startLine = this.line;
    const startLineStart = this.lineStart;
    const triple = text.charCodeAt(start + 1) === quote && text.charCodeAt(start + 2) === quote;
    let j = start + (triple ? 3 : 1);
    let value = '';
    let chunkStart = j;
    while (true) {
      if (j >= text.length) {
        this.errorAt(startLine, start - startLineStart + 1, 'unterminated string literal');
      }
      const c = text.charCodeAt(j);
      if (c === quote && (!triple || (text.charCodeAt(j + 1) === quote && text.charCodeAt(j + 2) === quote))) {
        value += text.slice(chunkStart, j);
        j += triple ? 3 : 1;
        break;
      }
      if (c === CH_LF || c === CH_CR) {
        if (!triple) this.errorAt(startLine, start - startLineStart + 1, 'unterminated string literal');
        this.i = j;
        this.skipLineBreak();
        j = this.i;
        continue;
      }
      if (c !== CH_BACKSLASH) {
        j++;
        continue;
      }
      value += text.slice(chunkStart, j);
      const escape = text[j + 1];
      if (escape === undefined) this.errorAt(startLine, start - startLineStart + 1, 'unterminated string literal');
      const simple = SIMPLE_ESCAPES[escape];
      if (simple !== undefined) {
        value += simple;
        j += 2;
      } else if (escape === '\n' || escape === '\r') {
        this.i = j + 1;
        this.skipLineBreak();
        j = this.i;
      } else if (/^[0-7]{3}$/.test(text.slice(j + 1, j + 4))) {
        value += String.fromCharCode(parseInt(text.slice(j + 1, j + 4), 8));
        j += 4;
      } else if (escape >= '0' && escape <= '7') {
        this.error(j, 'ill-formed octal escape: expected three octal digits');
      } else {
        this.error(j, `invalid escape sequence '\\${escape}' in string literal`);
      }
      chunkStart = j;
    }
    this.i = j;
    this.tokens.push({ kind: 'string', text: value, pos: this.posAt(start, startLine, startLineStart) });
  }

  private readOperator(): void {
    const text = this.text;
    const start = this.i;
    let op = text.slice(start, start + 3);
    if (!OPERATORS_3.has(op)) {
      op = op.slice(0, 2);
      if (!OPERATORS_2.has(op)) {
        op = op.slice(0, 1);
        if (!OPERATORS_1.has(op)) this.error(start, `unexpected character '${text[start]}'`);
      }
    }
    if (op === '(' || op === '[' || op === '{') this.bracketDepth++;
    else if ((op === ')' || op === ']' || op === '}') && this.bracketDepth > 0) this.bracketDepth--;
    this.i = start + op.length;
    this.push('op', op, start);
  }

  private push(kind: TokenKind, text: string, start: number, number?: number | bigint): void {
    const token: Token = { kind, text, pos: this.posAt(start, this.line, this.lineStart) };
    if (number !== undefined) token.number = number;
    this.tokens.push(token);
  }

  private posAt(charIndex: number, line: number, lineStart: number): Pos {
    return { line, column: charIndex - lineStart + 1, offset: this.byteOffset(charIndex) };
  }

  private byteOffset(charIndex: number): number {
    if (this.ascii) return charIndex;
    const text = this.text;
    let bytes = this.byteCursorByte;
    for (let k = this.byteCursorChar; k < charIndex; k++) {
      const c = text.charCodeAt(k);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      // A surrogate pair encodes as 4 bytes: 2 for each half.
      else if (c >= 0xd800 && c <= 0xdfff) bytes += 2;
      else bytes += 3;
    }
    this.byteCursorChar = charIndex;
    this.byteCursorByte = bytes;
    return bytes;
  }

  private error(charIndex: number, message: string): never {
    this.errorAt(this.line, charIndex - this.lineStart + 1, message);
  }

  private errorAt(line: number, column: number, message: string): never {
    fail('SCRIPT_SYNTAX', message, { file: this.file, line, column });
  }
}

/** Splits TorchScript source into tokens, ending with NEWLINE, the closing DEDENTs and EOF. */
export function tokenize(file: string, text: string): Token[] {
  return new Lexer(file, text).run();
}
