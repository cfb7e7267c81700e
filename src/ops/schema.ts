/**
 * Parser for aten schema strings, exactly as `torch._C._jit_get_all_schemas()` prints them:
 * `aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor`.
 */
import { PyFloat } from '../archive/types.js';

export interface SchemaType {
  /** `Tensor`, `int`, `float`, `bool`, `Scalar`, `str`, `ScalarType`, `Layout`, `Device`, `MemoryFormat`, ... */
  base: string;
  optional: boolean;
  /** `int[]` / `int[2]` / `Tensor[]`; `listSize` for fixed sizes (a single int broadcasts). */
  list: boolean;
  listSize?: number;
  /** `Tensor?[]`: a list of optional elements. */
  elementOptional: boolean;
}

export interface SchemaArg {
  name: string;
  type: SchemaType;
  kwargOnly: boolean;
  hasDefault: boolean;
  default?: unknown;
}

export interface Schema {
  /** `aten::add`. */
  name: string;
  /** `Tensor` in `aten::add.Tensor`, or ''. */
  overload: string;
  args: SchemaArg[];
  returns: SchemaType[];
  /** The schema text, for messages. */
  text: string;
}

const SYM_BASES: Record<string, string> = { SymInt: 'int', SymFloat: 'float', SymBool: 'bool' };

function parseType(text: string): SchemaType {
  let t = text.trim();
  // Alias annotations `Tensor(a!)`, `Tensor(a -> *)` carry no meaning for conversion.
  t = t.replace(/\([^)]*\)/g, '');
  let optional = false;
  let list = false;
  let listSize: number | undefined;
  let elementOptional = false;
  if (t.endsWith('?')) {
    optional = true;
    t = t.slice(0, -1);
  }
  const listMatch = /^(.*?)(\?)?\[(\d*)\]$/.exec(t);
  if (listMatch) {
    list = true;
    elementOptional = listMatch[2] === '?';
    listSize = listMatch[3] ? Number(listMatch[3]) : undefined;
    t = listMatch[1];
  }
  return { base: SYM_BASES[t] ?? t, optional, list, listSize, elementOptional };
}

function parseDefault(text: string, type: SchemaType): unknown {
  const t = text.trim();
  if (t === 'None') return null;
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t.startsWith('"') || t.startsWith("'")) return t.slice(1, -1);
  if (t.startsWith('[')) {
    const inner = t.slice(1, -1).trim();
    if (!inner) return [];
    return inner.split(',').map((p) => parseDefault(p, { ...type, list: false }));
  }
  if (/^-?\d+$/.test(t)) {
    const n = Number(t);
    if (type.list && type.listSize) return Array(type.listSize).fill(n);
    if (type.base === 'float') return n;
    if (type.base === 'Scalar') return n;
    return n;
  }
  if (/^[-+0-9.eE]+$/.test(t) || t === 'inf' || t === '-inf' || t === 'nan') {
    const n = t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t);
    return type.base === 'Scalar' ? new PyFloat(n) : n;
  }
  // Enum-like names: contiguous_format, long, mean, ...
  return t;
}

/** Split on commas at bracket depth 0. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote && text[i - 1] !== '\\') quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  const last = text.slice(start);
  if (last.trim()) parts.push(last);
  return parts;
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced schema: ${text}`);
}

export function parseSchema(text: string): Schema {
  const open = text.indexOf('(');
  const fullName = text.slice(0, open).trim();
  const dot = fullName.indexOf('.');
  const name = dot < 0 ? fullName : fullName.slice(0, dot);
  const overload = dot < 0 ? '' : fullName.slice(dot + 1);
  const close = closingParen(text, open);
  const args: SchemaArg[] = [];
  let kwargOnly = false;
  for (const part of splitTop(text.slice(open + 1, close))) {
    const p = part.trim();
    if (p === '*') {
      kwargOnly = true;
      continue;
    }
    const eq = p.indexOf('=');
    const decl = eq < 0 ? p : p.slice(0, eq);
    const space = decl.trimEnd().lastIndexOf(' ');
    const type = parseType(decl.slice(0, space));
    const argName = decl.slice(space + 1).trim();
    const hasDefault = eq >= 0;
    args.push({
      name: argName,
      type,
      kwargOnly,
      hasDefault,
      default: hasDefault ? parseDefault(p.slice(eq + 1), type) : undefined,
    });
  }
  const ret = text.slice(close + 1).replace(/^\s*->\s*/, '').trim();
  const unaliased = (r: string) => parseType(r.replace(/\([^)]*\)/g, '').trim().split(' ')[0]);
  const returns = ret.startsWith('(') ? splitTop(ret.slice(1, -1)).map(unaliased) : [unaliased(ret)];
  return { name, overload, args, returns, text };
}
