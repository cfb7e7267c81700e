/**
 * Resolves qualified TorchScript names to classes and functions, parsing `code/` files on demand
 * (docs/torchscript-format.md §4.1: `a.b.C` lives in `code/a/b.py`).
 */
import type { Archive } from '../archive/types.js';
import { fail } from '../errors.js';
import type { ClassDef, CodeFile, Expr, FunctionDef, TypeExpr } from '../script/ast.js';
import { parseCode } from '../script/index.js';
import type { ClassInfo } from './values.js';

export type Resolved =
  | { kind: 'class'; cls: ClassInfo }
  | { kind: 'function'; fn: FunctionDef; file: string; qualified: string }
  | { kind: 'namespace' };

export class ClassLoader {
  private readonly files = new Map<string, CodeFile | null>();
  private readonly classes = new Map<string, ClassInfo>();

  constructor(private readonly archive: Archive) {}

  /** The parsed code file at `path` (`code/__torch__/a.py`), or null when the archive has none. */
  codeFile(path: string): CodeFile | null {
    if (!this.files.has(path)) {
      const text = this.archive.code(path);
      this.files.set(path, text === undefined ? null : parseCode(path, text));
    }
    return this.files.get(path) ?? null;
  }

  /** Resolves a dotted name: a class, a free function, or a namespace prefix of either. */
  resolve(qualified: string): Resolved {
    const cached = this.classes.get(qualified);
    if (cached) return { kind: 'class', cls: cached };
    const parts = qualified.split('.');
    if (parts.length >= 2) {
      const path = `code/${parts.slice(0, -1).join('/')}.py`;
      const code = this.codeFile(path);
      if (code) {
        const name = parts[parts.length - 1];
        const cls = code.classes.find((c) => c.name === name);
        if (cls) return { kind: 'class', cls: this.info(qualified, cls, path) };
        const fn = code.functions.find((f) => f.name === name);
        if (fn) return { kind: 'function', fn, file: path, qualified };
      }
    }
    return { kind: 'namespace' };
  }

  classInfo(qualified: string): ClassInfo {
    const r = this.resolve(qualified);
    if (r.kind !== 'class') return fail('SCRIPT_NAME', `class ${qualified} is not in the archive's code`);
    return r.cls;
  }

  private info(qualified: string, def: ClassDef, file: string): ClassInfo {
    const methods = new Map<string, FunctionDef>();
    const constants = new Map<string, Expr>();
    const attributeTypes = new Map<string, TypeExpr>();
    const parameters = new Set<string>();
    for (const m of def.members) {
      if (m.kind === 'def') methods.set(m.name, m);
      else if (m.kind === 'classattr') {
        attributeTypes.set(m.name, m.annotation);
        if (m.value) constants.set(m.name, m.value);
      } else if (m.name === '__parameters__' && m.value.kind === 'list') {
        for (const item of m.value.items) if (item.kind === 'str') parameters.add(item.value);
      } else if (def.base === 'Enum') constants.set(m.name, m.value);
    }
    const info: ClassInfo = { qualified, def, file, methods, constants, attributeTypes, parameters };
    this.classes.set(qualified, info);
    return info;
  }
}
