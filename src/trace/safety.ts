/**
 * Ops an archive's code must never run: they read files or raw memory at places the code chooses.
 * Every code file is scanned before anything is evaluated, so a call on a path never taken (an
 * untaken branch, an unused submodule) is refused too. The interpreter refuses the same ops again
 * when a call reaches them, since a name can also be computed (`getattr(torch, name)`).
 */
import type { Archive } from '../archive/types.js';
import { TsonnxError } from '../errors.js';
import type { CodeFile, Expr } from '../script/ast.js';
import { dottedName } from '../script/ast.js';
import type { ClassLoader } from './classes.js';
import type { Interpreter } from './interpreter.js';
import { TensorBox, type PyValue } from './values.js';

/** Unsafe ops by qualified name, with what makes each unsafe. */
const UNSAFE_OPS: ReadonlyMap<string, string> = new Map([
  ['aten::from_file', 'reads a file named by the code'],
  ['inductor::_reinterpret_tensor', 'reads memory at sizes, strides and an offset the code chooses'],
  ['aten::load', 'loads a file named by the code'],
  ['aten::save', 'writes a file named by the code'],
]);

/** Python-level functions reaching the same ops. */
const UNSAFE_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['torch.jit.load', 'aten::load'],
  ['torch.jit.save', 'aten::save'],
  ['torch.serialization.load', 'aten::load'],
  ['torch.serialization.save', 'aten::save'],
]);

/**
 * Attribute names that only ever name an unsafe op, refused on any receiver: a method call
 * `x.from_file(...)` on a tensor or string reaches `torch.from_file`. `load` and `save` are common
 * method names of modules, so they are refused by their qualified forms here and on any receiver
 * when called.
 */
const UNSAFE_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['from_file', 'aten::from_file'],
  ['_reinterpret_tensor', 'inductor::_reinterpret_tensor'],
]);

/** The unsafe op a qualified op name (`aten::from_file`, or its in-place `aten::from_file_`) is, if any. */
export function unsafeOp(op: string): string | undefined {
  if (UNSAFE_OPS.has(op)) return op;
  const functional = op.endsWith('_') && !op.endsWith('__') ? op.slice(0, -1) : undefined;
  return functional && UNSAFE_OPS.has(functional) ? functional : undefined;
}

/** The unsafe op a dotted name calls (`torch.from_file`, `ops.aten.from_file`, `torch.ops.inductor._reinterpret_tensor`, `torch.jit.load`), if any. */
export function unsafeCallee(path: string): string | undefined {
  const special = UNSAFE_FUNCTIONS.get(path);
  if (special) return special;
  const parts = path.split('.');
  if (parts[0] === 'torch' && parts[1] === 'ops') parts.splice(0, 2, 'ops');
  if (parts[0] === 'torch' && parts.length === 2) return unsafeOp(`aten::${parts[1]}`);
  if (parts[0] === 'ops' && parts.length === 3) return unsafeOp(`${parts[1]}::${parts[2]}`);
  return undefined;
}

/** The message refusing `op`, reached as `form`. */
export function unsafeMessage(op: string, form: string): string {
  const via = form === op ? '' : ` (${form})`;
  return `${op}${via} ${UNSAFE_OPS.get(op)}; tsonnx refuses archives whose code calls it, whether or not the call runs`;
}

/** The unsafe op an expression names, with the form it is written in. */
function unsafeReference(e: Expr): { op: string; form: string } | undefined {
  if (e.kind === 'attribute') {
    const path = dottedName(e);
    const op = (path && unsafeCallee(path)) ?? UNSAFE_ATTRIBUTES.get(e.attr);
    return op ? { op, form: path ?? `.${e.attr}` } : undefined;
  }
  // getattr(torch, "from_file")
  if (e.kind === 'call' && e.func.kind === 'name' && e.func.id === 'getattr' && e.args[1]?.kind === 'str') {
    const op = UNSAFE_ATTRIBUTES.get(e.args[1].value);
    return op ? { op, form: `getattr(..., '${e.args[1].value}')` } : undefined;
  }
  return undefined;
}

/** Throws UNSAFE_OP at the first reference to an unsafe op in `code`. */
function scanFile(archive: Archive, code: CodeFile): void {
  // An explicit stack: the parser allows deep nesting, and this walk must not be what overflows.
  const pending: unknown[] = [code.classes, code.functions];
  while (pending.length) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      pending.push(...node);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if ('kind' in node && 'pos' in node) {
      const found = unsafeReference(node as Expr);
      if (found) {
        const { pos } = node as Expr;
        const python = archive.pythonLocation(code.path, pos.offset);
        throw new TsonnxError('UNSAFE_OP', unsafeMessage(found.op, found.form), { file: code.path, line: pos.line, column: pos.column, python });
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'pos' && typeof value === 'object') pending.push(value);
  }
}

/**
 * Text every unsafe reference contains: each names `from_file`, `_reinterpret_tensor`, `load` or
 * `save` (`torch.jit.load`, an in-place `from_file_`, `getattr(torch, "from_file")`), as an
 * identifier, which code spells out, or in a string, which may hide it behind escapes. A file without
 * any of these (or a backslash) cannot reference an unsafe op, and is left for the interpreter to
 * parse if it runs it: parsing every file of a large traced model took a fifth of its conversion.
 */
const MAY_BE_UNSAFE = /from_file|_reinterpret_tensor|load|save|\\/;

/**
 * Refuses the archive if any code file calls an unsafe op anywhere. A file that does not parse
 * is skipped: its code cannot run, and the interpreter reports the parse error if it needs it.
 */
export function refuseUnsafeCode(archive: Archive, loader: ClassLoader): void {
  for (const name of [...archive.entries.keys()].sort()) {
    if (!name.startsWith('code/') || !name.endsWith('.py')) continue;
    if (!MAY_BE_UNSAFE.test(archive.code(name) ?? '')) continue;
    let code: CodeFile | null;
    try {
      code = loader.codeFile(name);
    } catch {
      continue;
    }
    if (code) scanFile(archive, code);
  }
}

/** `as_strided` and its relatives: (self, [src,] size, stride, storage_offset). */
const STRIDED_OPS: ReadonlyMap<string, number> = new Map([
  ['as_strided', 0],
  ['as_strided_', 0],
  ['as_strided_copy', 0],
  ['as_strided_scatter', 1],
]);

function intList(v: PyValue | undefined): number[] | undefined {
  if (v === undefined || v === null || typeof v !== 'object' || !('items' in v)) return undefined;
  const items = v.items as readonly PyValue[];
  return items.every((x) => typeof x === 'number') ? (items as number[]) : undefined;
}

/**
 * Refuses an `as_strided` whose sizes, strides and offset reach outside the storage of its input,
 * when they and the input's shape are known now. The storage is the input's own elements, or for
 * a view those of the tensor it views (its offset taken as 0 unless given).
 */
export function checkStridedBounds(it: Interpreter, name: string, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>): void {
  const shift = STRIDED_OPS.get(name);
  if (shift === undefined) return;
  let base = args[0];
  if (!(base instanceof TensorBox)) return;
  while (base.view) base = base.view.base;
  const size = intList(args[1 + shift] ?? kwargs.get('size'));
  const stride = intList(args[2 + shift] ?? kwargs.get('stride'));
  const offset = args[3 + shift] ?? kwargs.get('storage_offset') ?? 0;
  const shape = base.value.type.kind === 'tensor' ? base.value.type.shape : undefined;
  if (!size || !stride || size.length !== stride.length || typeof offset !== 'number' || !shape?.every((d) => typeof d === 'number')) return;
  const storage = (shape as number[]).reduce((a, b) => a * b, 1);
  const refuse = (why: string): never =>
    it.fail('UNSAFE_OP', `aten::${name} with size [${size.join(', ')}], stride [${stride.join(', ')}] and offset ${offset} ${why}; tsonnx refuses reads outside a tensor's storage`);
  if ([...size, ...stride, offset].some((n) => n < 0)) refuse('has a negative size, stride or offset');
  if (size.some((n) => n === 0)) return;
  const last = size.reduce((end, n, i) => end + (n - 1) * stride[i], offset);
  if (last >= storage) refuse(`reads element ${last} of a storage of ${storage}`);
}
