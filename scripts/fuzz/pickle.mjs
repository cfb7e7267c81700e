/**
 * Pickle opcodes as spans of bytes, so mutations can replace one value (an int, a tuple, a string) or one
 * length field without understanding the rest, and encoders for the values they put in.
 */

/** Argument layout of every opcode: fixed byte count, a length prefix of n bytes, or newline-terminated lines. */
const FIXED = { K: 1, M: 2, J: 4, h: 1, j: 4, q: 1, r: 4, G: 8, '\x80': 1, '\x82': 1, '\x83': 2, '\x84': 4, '\x95': 8 };
export const LENGTH_PREFIXED = { '\x8c': 1, X: 4, '\x8d': 8, C: 1, B: 4, '\x8e': 8, U: 1, T: 4, '\x8a': 1, '\x8b': 4, '\x96': 8 };
const LINES = { c: 2, i: 2, I: 1, L: 1, F: 1, S: 1, V: 1, p: 1, g: 1, P: 1 };
const BARE = '(.0123NtaeldsubRQo)]}\x88\x89\x85\x86\x87\x81\x92\x8f\x90\x91\x93\x94\x97\x98';
export const OPCODES = [...Object.keys(FIXED), ...Object.keys(LENGTH_PREFIXED), ...Object.keys(LINES), ...BARE].map((c) => c.charCodeAt(0));

const INT_OPS = new Set(['K', 'M', 'J', '\x8a']);

/** The opcodes of a pickle up to STOP as { op, start, end }; stops early at an unknown or truncated opcode. */
export function scanPickle(bytes) {
  const ops = [];
  let at = 0;
  while (at < bytes.length) {
    const op = String.fromCharCode(bytes[at]);
    let end = at + 1;
    if (op in FIXED) end += FIXED[op];
    else if (op in LENGTH_PREFIXED) {
      const width = LENGTH_PREFIXED[op];
      if (end + width > bytes.length) break;
      end += width + Number(width === 8 ? bytes.readBigUInt64LE(end) : bytes.readUIntLE(end, width));
    } else if (op in LINES) {
      for (let line = 0; line < LINES[op]; line++) end = bytes.indexOf(0x0a, end) + 1 || bytes.length + 1;
    } else if (!BARE.includes(op)) break;
    if (end > bytes.length) break;
    ops.push({ op, start: at, end });
    at = end;
    if (op === '.') break;
  }
  return ops;
}

/** The bytes with ops[from..to) replaced by `replacement`. */
export function replaceOps(bytes, ops, from, to, replacement) {
  const start = ops[from].start;
  const end = to < ops.length ? ops[to].start : ops.at(-1).end;
  return Buffer.concat([bytes.subarray(0, start), replacement, bytes.subarray(end)]);
}

export function isInt(op) {
  return INT_OPS.has(op.op);
}

export function intValue(bytes, op) {
  switch (op.op) {
    case 'K': return bytes[op.start + 1];
    case 'M': return bytes.readUInt16LE(op.start + 1);
    case 'J': return bytes.readInt32LE(op.start + 1);
    default: {
      const length = bytes[op.start + 1];
      return length === 0 ? 0 : Number(bytes.readIntLE(op.start + 2, Math.min(length, 6)));
    }
  }
}

/** BININT for 32-bit values, LONG1 beyond. */
export function encodeInt(n) {
  const value = BigInt(n);
  if (value >= -(2n ** 31n) && value < 2n ** 31n) {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(Number(value), 1);
    return b;
  }
  const b = Buffer.alloc(10);
  b[0] = 0x8a;
  b[1] = 8;
  b.writeBigInt64LE(value, 2);
  return b;
}

export function encodeIntTuple(values) {
  return Buffer.concat([Buffer.from('('), ...values.map(encodeInt), Buffer.from('t')]);
}

export function encodeString(text) {
  const bytes = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(5);
  header[0] = 0x58;
  header.writeUInt32LE(bytes.length, 1);
  return Buffer.concat([header, bytes]);
}

export function encodeGlobal(module, name) {
  return Buffer.from(`c${module}\n${name}\n`, 'utf8');
}

/**
 * The span [start, end) of the value that begins at op `i`: an int, a memo get, an empty tuple, or a
 * tuple of ints (MARK ... TUPLE, or TUPLE1-3), not counting a memo put after it. Undefined otherwise.
 */
export function valueSpan(ops, i) {
  const op = ops[i]?.op;
  if (op === undefined) return undefined;
  if (INT_OPS.has(op) || op === ')' || op === 'h' || op === 'j') return { start: i, end: i + 1 };
  if (op === '(') {
    let j = i + 1;
    while (ops[j] && INT_OPS.has(ops[j].op)) j++;
    return ops[j]?.op === 't' ? { start: i, end: j + 1 } : undefined;
  }
  let j = i;
  while (ops[j] && INT_OPS.has(ops[j].op)) j++;
  const arity = { '\x85': 1, '\x86': 2, '\x87': 3 }[ops[j]?.op];
  return arity === j - i ? { start: i, end: j + 1 } : undefined;
}

/** Index of the first op at or after `i` that is not a memo put. */
export function skipPuts(ops, i) {
  while (ops[i] && (ops[i].op === 'q' || ops[i].op === 'r' || ops[i].op === '\x94')) i++;
  return i;
}

/**
 * Every `_rebuild_tensor_v2((storage...), offset, shape, strides, ...)` call, whether it names the function
 * with GLOBAL or with a memo get of it: op indices of the storage tuple's key and numel, and value spans
 * of offset, shape and strides (undefined where the layout differs).
 */
export function findTensorRebuilds(bytes, ops) {
  const memoOfRebuild = new Set();
  const rebuilds = [];
  ops.forEach((op, i) => {
    if (op.op === 'c' && bytes.toString('latin1', op.start, op.end).includes('_rebuild_tensor')) {
      const put = ops[i + 1];
      if (put?.op === 'q') memoOfRebuild.add(bytes[put.start + 1]);
      if (put?.op === 'r') memoOfRebuild.add(bytes.readUInt32LE(put.start + 1));
    } else if (!((op.op === 'h' && memoOfRebuild.has(bytes[op.start + 1])) || (op.op === 'j' && memoOfRebuild.has(bytes.readUInt32LE(op.start + 1))))) return;
    const argsMark = skipPuts(ops, i + 1);
    if (ops[argsMark]?.op !== '(' || ops[argsMark + 1]?.op !== '(') return;
    const storageType = skipPuts(ops, argsMark + 3);
    const key = skipPuts(ops, storageType + 1);
    const persid = ops.findIndex((o, j) => j > i && o.op === 'Q');
    if (persid < 0) return;
    const numel = ops.slice(key, persid - 1).findLastIndex((o) => INT_OPS.has(o.op));
    const offset = valueSpan(ops, skipPuts(ops, persid + 1));
    const shape = offset && valueSpan(ops, skipPuts(ops, offset.end));
    const strides = shape && valueSpan(ops, skipPuts(ops, shape.end));
    rebuilds.push({ numel: numel < 0 ? undefined : key + numel, key, offset, shape, strides });
  });
  return rebuilds;
}
