/**
 * The mutation catalogue. Each mutation takes a subject (a base archive's zip entries and its CLI
 * arguments) and a seeded Random, and returns the case to run: `archive` bytes, `args` after the two
 * positional paths (`{in}` stands for the input folder), `output` (how the output path is chosen, see
 * runner.mjs), optional extra `files` for the input folder, and a one-line `detail` for the report.
 * A mutation returns undefined when the subject has nothing it can work on; the caller picks again.
 */
import { createDeflateRaw } from 'node:zlib';
import { CENTRAL, END, LOCAL, entryContent, makeEntry, withZip64End, writeZip, zip64Extra } from './zip.mjs';
import {
  LENGTH_PREFIXED, OPCODES, encodeGlobal, encodeInt, encodeIntTuple, encodeString, findTensorRebuilds, intValue, isInt, replaceOps, scanPickle,
} from './pickle.mjs';

const BOMB_BYTES = 1.25 * 2 ** 30; // inflated size of a deflate bomb: more than the 1 GB memory budget
const bombs = new Map();

/** Deflated `BOMB_BYTES` of one repeated byte, made once per process by streaming (never held inflated). */
function deflateBomb(fill) {
  if (!bombs.has(fill)) {
    bombs.set(fill, new Promise((resolve, reject) => {
      const chunks = [];
      const deflate = createDeflateRaw({ level: 9 });
      deflate.on('data', (chunk) => chunks.push(chunk)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      const block = Buffer.alloc(2 ** 24, fill);
      let written = 0;
      const pump = () => {
        while (written < BOMB_BYTES) {
          written += block.length;
          if (!deflate.write(block)) return void deflate.once('drain', pump);
        }
        deflate.end();
      };
      pump();
    }));
  }
  return bombs.get(fill);
}

// ---------------------------------------------------------------- helpers over the subject

const named = (entries, pattern) => entries.filter((e) => pattern.test(e.name));
const pickleEntries = (entries) => named(entries, /(^|\/)(data|constants)\.pkl$/);
const codeEntries = (entries) => named(entries, /(^|\/)code\/.*\.py$/);
const storageEntries = (entries) => named(entries, /(^|\/)data\/\d+$/);
const archive = (entries) => writeZip(entries).bytes;

/** The entries with `entry` holding new content, compressed the way it was. */
function replaceEntry(entries, entry, content) {
  return entries.map((e) => (e === entry ? makeEntry(e.name, content, e.method === 8) : e));
}

function patchField(bytes, at, width, value) {
  const copy = Buffer.from(bytes);
  if (width === 2) copy.writeUInt16LE(value & 0xffff, at);
  else copy.writeUInt32LE(value >>> 0, at);
  return copy;
}

const interesting32 = (rng, original, fileLength) =>
  rng.pick([0, 1, original + 1, Math.max(original - 1, 0), 0x7fffffff, 0xfffffffe, 0xffffffff, fileLength, fileLength + 1, rng.int(2 ** 32)]);

// ---------------------------------------------------------------- zip records

const HEADER_FIELDS = [
  ['local', 'method', 2], ['local', 'crc', 4], ['local', 'compressedSize', 4], ['local', 'size', 4], ['local', 'nameLength', 2], ['local', 'extraLength', 2],
  ['central', 'method', 2], ['central', 'crc', 4], ['central', 'compressedSize', 4], ['central', 'size', 4], ['central', 'nameLength', 2],
  ['central', 'extraLength', 2], ['central', 'commentLength', 2], ['central', 'localOffset', 4],
];

const zipMutations = [
  {
    name: 'zip-header-field',
    apply({ entries }, rng) {
      const written = writeZip(entries);
      const i = rng.int(entries.length);
      const [header, field, width] = rng.pick(HEADER_FIELDS);
      const at = (header === 'local' ? written.locals[i] + LOCAL[field] : written.centrals[i] + CENTRAL[field]);
      const original = width === 2 ? written.bytes.readUInt16LE(at) : written.bytes.readUInt32LE(at);
      const value = width === 2 ? rng.pick([0, original + 1, original + 100, 0xffff, 1, 8, 12, 99]) : interesting32(rng, original, written.bytes.length);
      return { archive: patchField(written.bytes, at, width, value), detail: `${header} ${field} of ${entries[i].name} ${original} -> ${value}` };
    },
  },
  {
    name: 'zip-end-record-field',
    apply({ entries }, rng) {
      const written = writeZip(entries);
      const [field, width] = rng.pick([['diskEntries', 2], ['totalEntries', 2], ['directorySize', 4], ['directoryOffset', 4], ['commentLength', 2]]);
      const at = written.endOffset + END[field];
      const original = width === 2 ? written.bytes.readUInt16LE(at) : written.bytes.readUInt32LE(at);
      const value = width === 2 ? rng.pick([0, 1, original + 1, Math.max(original - 1, 0), 0xffff]) : interesting32(rng, original, written.bytes.length);
      return { archive: patchField(written.bytes, at, width, value), detail: `end record ${field} ${original} -> ${value}` };
    },
  },
  {
    name: 'zip-compression-method',
    apply({ entries }, rng) {
      const target = rng.pick(entries);
      const method = rng.pick([0, 8, 1, 12, 14, 93, 99, 0xffff].filter((m) => m !== target.method));
      const mutated = entries.map((e) => (e === target ? { ...e, method } : e));
      return { archive: archive(mutated), detail: `${target.name} method ${target.method} -> ${method} (data unchanged)` };
    },
  },
  {
    name: 'zip-extra-field',
    apply({ entries }, rng) {
      const target = rng.pick(entries);
      const length = rng.pick([0, 3, 4, 100, 0xffff - 4]);
      const extra = Buffer.alloc(4 + Math.min(length, rng.pick([0, length])));
      extra.writeUInt16LE(rng.pick([0x0001, 0x5455, 0x7875, 0xcafe, 0x4246]), 0);
      extra.writeUInt16LE(length, 2);
      const where = rng.pick(['localExtra', 'centralExtra']);
      return { archive: archive(entries.map((e) => (e === target ? { ...e, [where]: extra } : e))), detail: `${where} of ${target.name}: id ${extra.readUInt16LE(0)} claiming ${length} bytes, ${extra.length - 4} present` };
    },
  },
  {
    name: 'zip64-extra-past-file',
    apply({ entries }, rng) {
      const i = rng.int(entries.length);
      const far = rng.pick([2 ** 40, 2 ** 53, 2 ** 63]);
      const saturate = rng.pick(['localOffset', 'size', 'compressedSize']);
      const mutated = entries.map((e, j) => (j === i ? { ...e, centralExtra: zip64Extra([far]) } : e));
      const written = writeZip(mutated);
      return { archive: patchField(written.bytes, written.centrals[i] + CENTRAL[saturate], 4, 0xffffffff), detail: `${entries[i].name}: ${saturate} 0xffffffff, ZIP64 extra says ${far}` };
    },
  },
  {
    name: 'zip64-extra-missing',
    apply({ entries }, rng) {
      const i = rng.int(entries.length);
      const written = writeZip(entries);
      const field = rng.pick(['localOffset', 'size', 'compressedSize']);
      return { archive: patchField(written.bytes, written.centrals[i] + CENTRAL[field], 4, 0xffffffff), detail: `${entries[i].name}: ${field} 0xffffffff without a ZIP64 extra field` };
    },
  },
  {
    name: 'zip64-end-locator',
    apply({ entries }, rng) {
      const written = writeZip(entries);
      const variant = rng.pick(['record past the file', 'huge entry count', 'directory past the file', 'record inside the data']);
      const options = {
        'record past the file': { count: entries.length, recordOffset: 2 ** 50 },
        'huge entry count': { count: 2 ** 40 },
        'directory past the file': { count: entries.length, directoryOffset: 2 ** 45 },
        'record inside the data': { count: entries.length, recordOffset: rng.int(written.directoryOffset) },
      }[variant];
      return { archive: withZip64End(written, options), detail: `ZIP64 end of central directory: ${variant}` };
    },
  },
  {
    name: 'zip-duplicate-name',
    apply({ entries }, rng) {
      const target = rng.chance(0.5) ? (pickleEntries(entries)[0] ?? rng.pick(entries)) : rng.pick(entries);
      const twin = makeEntry(target.name, rng.pick([Buffer.alloc(0), Buffer.from('\x80\x02N.', 'latin1'), Buffer.from('garbage')]), rng.chance(0.5));
      const at = entries.indexOf(target) + (rng.chance(0.5) ? 0 : 1);
      return { archive: archive([...entries.slice(0, at), twin, ...entries.slice(at)]), detail: `second ${target.name} (${twin.size} bytes) ${at === entries.indexOf(target) ? 'before' : 'after'} the original` };
    },
  },
  {
    name: 'zip-many-entries',
    apply({ entries, root }, rng) {
      const count = rng.pick([70_000, 100_000]);
      const empty = makeEntry('', '');
      const extra = Array.from({ length: count }, (_, i) => ({ ...empty, name: `${root}extra/${i}` }));
      const written = writeZip([...entries, ...extra]);
      const zip64 = rng.chance(0.5);
      return { archive: zip64 ? withZip64End(written, { count: entries.length + count }) : written.bytes, detail: `${count} extra empty entries, ${zip64 ? 'ZIP64 end record' : 'entry count wrapped to 16 bits'}` };
    },
  },
  {
    name: 'zip-truncate',
    apply({ entries }, rng) {
      const bytes = archive(entries);
      const length = rng.chance(0.3) ? bytes.length - rng.between(1, 22) : rng.int(bytes.length);
      return { archive: bytes.subarray(0, length), detail: `cut to ${length} of ${bytes.length} bytes` };
    },
  },
  {
    name: 'zip-bit-flips',
    apply({ entries }, rng) {
      const bytes = Buffer.from(archive(entries));
      const count = rng.between(1, 8);
      for (let i = 0; i < count; i++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      return { archive: bytes, detail: `${count} random bit flips` };
    },
  },
  {
    name: 'zip-recompress',
    apply({ entries }, rng) {
      const mode = rng.pick(['deflate every entry', 'store every entry', 'deflate the storages']);
      const mutated = entries.map((e) => {
        const deflate = mode === 'deflate every entry' || (mode === 'deflate the storages' ? /\/data\/\d+$/.test(e.name) : false);
        return mode === 'deflate the storages' && !deflate ? e : makeEntry(e.name, entryContent(e), deflate);
      });
      return { archive: archive(mutated), detail: `valid rewrite: ${mode}` };
    },
  },
  {
    name: 'zip-deflate-bomb',
    async apply({ entries }, rng) {
      const candidates = [...pickleEntries(entries), ...codeEntries(entries), ...storageEntries(entries)];
      if (candidates.length === 0) return undefined;
      const target = rng.pick(candidates);
      const fill = target.name.endsWith('.py') ? 0x0a : 0;
      const compressed = await deflateBomb(fill);
      const claim = rng.pick(['its old size', 'the true size', '0xfffffffe']);
      const size = { 'its old size': target.size, 'the true size': Math.min(BOMB_BYTES, 0xffffffff), '0xfffffffe': 0xfffffffe }[claim];
      const bomb = { ...target, method: 8, compressed, size };
      return { archive: archive(entries.map((e) => (e === target ? bomb : e))), detail: `${target.name}: ${compressed.length} deflated bytes inflating to ${BOMB_BYTES}, header claims ${claim}` };
    },
  },
  {
    name: 'zip-small-data-huge-claim',
    apply({ entries }, rng) {
      const target = rng.pick(entries);
      const size = rng.pick([0xfffffffe, 0x7fffffff, 2 ** 31 + 1]);
      const deflate = rng.chance(0.5);
      const entry = { ...makeEntry(target.name, entryContent(target), deflate), size };
      return { archive: archive(entries.map((e) => (e === target ? entry : e))), detail: `${target.name} (${deflate ? 'deflated' : 'stored'}) claims uncompressed size ${size}` };
    },
  },
];

// ---------------------------------------------------------------- pickles

function choosePickle(entries, rng) {
  const pickles = pickleEntries(entries);
  if (pickles.length === 0) return undefined;
  const data = pickles.find((e) => e.name.endsWith('data.pkl'));
  const entry = data && rng.chance(0.7) ? data : rng.pick(pickles);
  const bytes = Buffer.from(entryContent(entry));
  return { entry, bytes, ops: scanPickle(bytes) };
}

/** A pickle mutation: `edit(bytes, ops, rng)` returns { bytes, detail } or undefined. */
function pickleMutation(name, edit) {
  return {
    name,
    apply({ entries }, rng) {
      const chosen = choosePickle(entries, rng);
      if (!chosen || chosen.ops.length < 3) return undefined;
      const result = edit(chosen.bytes, chosen.ops, rng);
      if (!result) return undefined;
      return { archive: archive(replaceEntry(entries, chosen.entry, result.bytes)), detail: `${chosen.entry.name}: ${result.detail}` };
    },
  };
}

const deepValue = (kind, depth) =>
  kind === 'tuple'
    ? Buffer.concat([Buffer.from('N'), Buffer.alloc(depth, 0x85)])
    : Buffer.concat([Buffer.alloc(depth + 1, 0x5d), Buffer.alloc(depth, 0x61)]);

const FORBIDDEN_GLOBALS = [['os', 'system'], ['builtins', 'eval'], ['__builtin__', 'exec'], ['subprocess', 'Popen'], ['torch', 'load'], ['posix', 'system']];

const pickleMutations = [
  pickleMutation('pickle-opcode-flip', (bytes, ops, rng) => {
    const op = rng.pick(ops);
    const to = rng.chance(0.8) ? rng.pick(OPCODES) : rng.int(256);
    const copy = Buffer.from(bytes);
    copy[op.start] = to;
    return { bytes: copy, detail: `opcode at ${op.start} ${JSON.stringify(op.op)} -> 0x${to.toString(16)}` };
  }),
  pickleMutation('pickle-length-field', (bytes, ops, rng) => {
    const candidates = ops.filter((o) => o.op in LENGTH_PREFIXED);
    if (candidates.length === 0) return undefined;
    const op = rng.pick(candidates);
    const width = LENGTH_PREFIXED[op.op];
    const copy = Buffer.from(bytes);
    const original = width === 8 ? Number(copy.readBigUInt64LE(op.start + 1)) : copy.readUIntLE(op.start + 1, width);
    const max = width === 8 ? 2 ** 62 : 2 ** (8 * width) - 1;
    const value = rng.pick([0, original + 1, Math.max(original - 1, 0), max, bytes.length - op.start, Math.min(max, 2 ** 31)]);
    if (width === 8) copy.writeBigUInt64LE(BigInt(value), op.start + 1);
    else copy.writeUIntLE(value, op.start + 1, width);
    return { bytes: copy, detail: `length of ${JSON.stringify(op.op)} at ${op.start} ${original} -> ${value}` };
  }),
  pickleMutation('pickle-long4-payload', (bytes, ops, rng) => {
    const ints = ops.map((o, i) => i).filter((i) => isInt(ops[i]));
    if (ints.length === 0) return undefined;
    const i = rng.pick(ints);
    const variant = rng.pick(['1 MB payload', 'length 2^31 - 1, 8 bytes present', 'LONG1 of 255 bytes']);
    let long;
    if (variant === '1 MB payload') {
      long = Buffer.alloc(5 + 2 ** 20, 0x5a);
      long[0] = 0x8b;
      long.writeUInt32LE(2 ** 20, 1);
    } else if (variant === 'LONG1 of 255 bytes') {
      long = Buffer.alloc(2 + 255, 0x7f);
      long[0] = 0x8a;
      long[1] = 255;
    } else {
      long = Buffer.alloc(5 + 8, 0x11);
      long[0] = 0x8b;
      long.writeUInt32LE(0x7fffffff, 1);
    }
    return { bytes: replaceOps(bytes, ops, i, i + 1, long), detail: `int ${intValue(bytes, ops[i])} at op ${i} -> LONG ${variant}` };
  }),
  pickleMutation('pickle-memo-index', (bytes, ops, rng) => {
    const memo = ops.map((o, i) => i).filter((i) => 'hjqr'.includes(ops[i].op));
    if (memo.length === 0) return undefined;
    const i = rng.pick(memo);
    const index = rng.pick([0xffffffff, 0x7fffffff, 2 ** 30, 1e6]);
    const isGet = 'hj'.includes(ops[i].op);
    const replacement = rng.chance(0.7) ? Buffer.alloc(5) : Buffer.from(`${isGet ? 'g' : 'p'}${index}${rng.chance(0.5) ? '0'.repeat(20) : ''}\n`, 'latin1');
    if (replacement.length === 5) {
      replacement[0] = isGet ? 0x6a : 0x72;
      replacement.writeUInt32LE(index, 1);
    }
    return { bytes: replaceOps(bytes, ops, i, i + 1, replacement), detail: `memo ${isGet ? 'get' : 'put'} at op ${i} -> ${JSON.stringify(replacement.toString('latin1', 0, 1))} index ${index}` };
  }),
  pickleMutation('pickle-deep-nesting', (bytes, ops, rng) => {
    const values = ops.map((o, i) => i).filter((i) => isInt(ops[i]) || ops[i].op === 'N' || ops[i].op === '\x89' || ops[i].op === '\x88');
    if (values.length === 0) return undefined;
    const i = rng.pick(values);
    const kind = rng.pick(['tuple', 'list']);
    const depth = rng.pick([1000, 100_000, 1_000_000]);
    return { bytes: replaceOps(bytes, ops, i, i + 1, deepValue(kind, depth)), detail: `value at op ${i} -> ${kind}s nested ${depth} deep` };
  }),
  pickleMutation('pickle-mark-flood', (bytes, ops, rng) => {
    const i = rng.int(ops.length);
    const count = rng.pick([10_000, 1_000_000]);
    return { bytes: replaceOps(bytes, ops, i, i, Buffer.alloc(count, 0x28)), detail: `${count} MARKs before op ${i}` };
  }),
  pickleMutation('pickle-op-edit', (bytes, ops, rng) => {
    const i = rng.int(ops.length - 1);
    const op = bytes.subarray(ops[i].start, ops[i].end);
    const next = bytes.subarray(ops[i + 1].start, ops[i + 1].end);
    const edit = rng.pick(['delete', 'duplicate', 'swap with the next', 'truncate the pickle here', 'cut this op in half']);
    const replacement = {
      delete: [Buffer.alloc(0), 1],
      duplicate: [Buffer.concat([op, op]), 1],
      'swap with the next': [Buffer.concat([next, op]), 2],
      'truncate the pickle here': [Buffer.alloc(0), ops.length],
      'cut this op in half': [op.subarray(0, Math.ceil(op.length / 2)), ops.length],
    }[edit];
    return { bytes: replaceOps(bytes, ops, i, Math.min(i + replacement[1], ops.length), replacement[0]), detail: `${edit}: op ${i} ${JSON.stringify(ops[i].op)}` };
  }),
  pickleMutation('pickle-forbidden-global', (bytes, ops, rng) => {
    const globals = ops.map((o, i) => i).filter((i) => ops[i].op === 'c');
    if (globals.length === 0) return undefined;
    const i = rng.pick(globals);
    const [module, name] = rng.pick(FORBIDDEN_GLOBALS);
    return { bytes: replaceOps(bytes, ops, i, i + 1, encodeGlobal(module, name)), detail: `GLOBAL at op ${i} -> ${module}.${name}` };
  }),
  pickleMutation('pickle-string', (bytes, ops, rng) => {
    const strings = ops.map((o, i) => i).filter((i) => ops[i].op === 'X' || ops[i].op === '\x8c');
    if (strings.length === 0) return undefined;
    const i = rng.pick(strings);
    const variant = rng.pick(['16 MB string', 'invalid UTF-8', 'empty string', 'NUL and path separators']);
    const replacement = {
      '16 MB string': () => encodeString('s'.repeat(2 ** 24)),
      'invalid UTF-8': () => Buffer.from([0x58, 4, 0, 0, 0, 0xff, 0xfe, 0xc0, 0x80]),
      'empty string': () => encodeString(''),
      'NUL and path separators': () => encodeString('../../\0/etc/passwd'),
    }[variant]();
    return { bytes: replaceOps(bytes, ops, i, i + 1, replacement), detail: `string at op ${i} -> ${variant}` };
  }),
];

// ---------------------------------------------------------------- tensors in data.pkl

/** A mutation of one `_rebuild_tensor_v2` call: `edit(rebuild, rng)` returns [[span, bytes]...] and a detail. */
function tensorMutation(name, edit) {
  return {
    name,
    apply({ entries }, rng) {
      const entry = entries.find((e) => e.name.endsWith('data.pkl'));
      if (!entry) return undefined;
      const bytes = Buffer.from(entryContent(entry));
      const ops = scanPickle(bytes);
      const rebuilds = findTensorRebuilds(bytes, ops).filter((r) => r.offset && r.shape && r.strides && r.numel !== undefined);
      if (rebuilds.length === 0) return undefined;
      const index = rng.int(rebuilds.length);
      const result = edit(rebuilds[index], rng, entries);
      if (!result) return undefined;
      // Replace from the last span backwards so earlier op positions stay valid.
      let mutated = bytes;
      for (const [span, replacement] of [...result.replacements].sort((a, b) => b[0].start - a[0].start)) {
        mutated = replaceOps(mutated, ops, span.start, span.end, replacement);
      }
      const withPickle = replaceEntry(result.entries ?? entries, entry, mutated);
      return { archive: archive(withPickle), detail: `tensor ${index} of ${rebuilds.length}: ${result.detail}` };
    },
  };
}

const at = (i) => ({ start: i, end: i + 1 });

const tensorMutations = [
  tensorMutation('tensor-huge-shape', (r, rng) => {
    const [shape, strides] = rng.pick([
      [[1e6, 1e6], [1e6, 1]],
      [[2 ** 62, 4], [4, 1]],
      [[2 ** 31, 2 ** 31], [2 ** 31, 1]],
      [[1e4, 1e4, 1e4], [1e8, 1e4, 1]],
    ]);
    return { replacements: [[r.shape, encodeIntTuple(shape)], [r.strides, encodeIntTuple(strides)]], detail: `shape [${shape}] strides [${strides}]` };
  }),
  tensorMutation('tensor-negative', (r, rng) => {
    const what = rng.pick(['shape', 'strides']);
    const values = rng.pick([[-1], [-1, 1], [2, -3], [1, -(2 ** 40)]]);
    return { replacements: [[r[what], encodeIntTuple(values)]], detail: `${what} [${values}]` };
  }),
  tensorMutation('tensor-strides', (r, rng) => {
    const values = rng.pick([[0, 0], [0], [1e12, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    return { replacements: [[r.strides, encodeIntTuple(values)]], detail: `strides [${values}]` };
  }),
  tensorMutation('tensor-rank', (r, rng) => {
    const rank = rng.pick([64, 1000, 100_000]);
    return { replacements: [[r.shape, encodeIntTuple(Array(rank).fill(1))], [r.strides, encodeIntTuple(Array(rank).fill(1))]], detail: `rank ${rank} of ones` };
  }),
  tensorMutation('tensor-offset', (r, rng) => {
    const offset = rng.pick([1e9, 2 ** 40, -1, 2 ** 53 + 1, 2 ** 31]);
    return { replacements: [[r.offset, encodeInt(offset)]], detail: `storage offset ${offset}` };
  }),
  tensorMutation('tensor-storage-numel', (r, rng) => {
    const numel = rng.pick([0, 1, -1, 1e12, 2 ** 62]);
    return { replacements: [[at(r.numel), encodeInt(numel)]], detail: `storage numel ${numel}` };
  }),
  tensorMutation('tensor-storage-key', (r, rng) => {
    if (r.key === undefined) return undefined;
    const key = rng.pick(['999999', '', '../data.pkl', 'data.pkl', '0/../../version']);
    return { replacements: [[at(r.key), encodeString(key)]], detail: `storage key ${JSON.stringify(key)}` };
  }),
  tensorMutation('tensor-storage-short', (r, rng, entries) => {
    const storages = storageEntries(entries);
    if (storages.length === 0) return undefined;
    const target = rng.pick(storages);
    const content = entryContent(target);
    const length = rng.pick([0, 1, Math.floor(content.length / 2), Math.max(content.length - 1, 0)]);
    return { replacements: [], entries: replaceEntry(entries, target, content.subarray(0, length)), detail: `${target.name} cut to ${length} of ${content.length} bytes` };
  }),
];

// ---------------------------------------------------------------- code text

const TOKEN = /[A-Za-z_]\w*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|==|!=|<=|>=|->|\*\*|\/\/|\S/g;

/** The root module's code entry and class name, from the first GLOBAL of data.pkl. */
function rootCode(entries) {
  const data = entries.find((e) => e.name.endsWith('data.pkl'));
  if (!data) return undefined;
  const bytes = entryContent(data);
  const op = scanPickle(bytes).find((o) => o.op === 'c');
  if (!op) return undefined;
  const [module, className] = bytes.toString('utf8', op.start + 1, op.end).split('\n');
  const path = `code/${module.replaceAll('.', '/')}.py`;
  const entry = entries.find((e) => e.name.endsWith(`/${path}`) || e.name === path);
  return entry && { entry, className };
}

/**
 * Where forward's body starts in the root module's code: the text, the offset after the signature,
 * the body's indent, the class header's end, and forward's first argument (if any).
 */
function forwardSite(entries) {
  const root = rootCode(entries);
  if (!root) return undefined;
  const text = entryContent(root.entry).toString('utf8');
  const classAt = text.indexOf(`class ${root.className}(`);
  const defAt = text.indexOf('def forward(', Math.max(classAt, 0));
  if (classAt < 0 || defAt < 0) return undefined;
  const bodyAt = text.indexOf(':\n', defAt) + 2;
  const indent = /^ */.exec(text.slice(bodyAt))[0];
  const argument = /def forward\(self[^,)]*,\s*(\w+)/.exec(text.slice(defAt))?.[1];
  return { entry: root.entry, text, bodyAt, indent, classBodyAt: text.indexOf('\n', classAt) + 1, argument };
}

/** A mutation that inserts lines at the start of forward's body (and optionally methods into the class). */
function forwardMutation(name, make) {
  return {
    name,
    apply({ entries }, rng) {
      const site = forwardSite(entries);
      if (!site) return undefined;
      const made = make(site, rng);
      if (!made) return undefined;
      const { lines, methods = [], detail } = made;
      const indented = lines.map((line) => `${site.indent}${line}\n`).join('');
      const methodText = methods.map((line) => `  ${line}\n`).join('');
      const text = site.text.slice(0, site.classBodyAt) + methodText + site.text.slice(site.classBodyAt, site.bodyAt) + indented + site.text.slice(site.bodyAt);
      return { archive: archive(replaceEntry(entries, site.entry, Buffer.from(text, 'utf8'))), detail: `${site.entry.name}: ${detail}` };
    },
  };
}

const nested = (depth, inner, wrap) => `${wrap.repeat(depth)}${inner}${')'.repeat(depth)}`;

const codeMutations = [
  {
    name: 'code-token-edit',
    apply({ entries }, rng) {
      const candidates = codeEntries(entries);
      if (candidates.length === 0) return undefined;
      const root = forwardSite(entries);
      const entry = root && rng.chance(0.5) ? root.entry : rng.pick(candidates);
      const text = entryContent(entry).toString('utf8');
      const tokens = [...text.matchAll(TOKEN)];
      if (tokens.length < 2) return undefined;
      const i = rng.int(tokens.length - 1);
      const [a, b] = [tokens[i], tokens[i + 1]];
      const identifiers = tokens.filter((t) => /^[A-Za-z_]/.test(t[0]));
      const edit = rng.pick(['delete', 'duplicate', 'swap', 'rename one', 'rename all']);
      let mutated;
      if (edit === 'delete') mutated = text.slice(0, a.index) + text.slice(a.index + a[0].length);
      else if (edit === 'duplicate') mutated = text.slice(0, a.index) + a[0] + ' ' + text.slice(a.index);
      else if (edit === 'swap') mutated = text.slice(0, a.index) + b[0] + text.slice(a.index + a[0].length, b.index) + a[0] + text.slice(b.index + b[0].length);
      else {
        if (identifiers.length === 0) return undefined;
        const victim = rng.pick(identifiers);
        const replacement = rng.chance(0.5) ? rng.pick(identifiers)[0] : `fuzz_${victim[0]}`;
        mutated = edit === 'rename one'
          ? text.slice(0, victim.index) + replacement + text.slice(victim.index + victim[0].length)
          : text.replace(new RegExp(`\\b${victim[0]}\\b`, 'g'), replacement);
        return { archive: archive(replaceEntry(entries, entry, Buffer.from(mutated))), detail: `${entry.name}: ${edit} ${victim[0]} -> ${replacement}` };
      }
      return { archive: archive(replaceEntry(entries, entry, Buffer.from(mutated))), detail: `${entry.name}: ${edit} token ${JSON.stringify(a[0])} at ${a.index}` };
    },
  },
  forwardMutation('code-deep-nesting', ({ argument }, rng) => {
    const depth = rng.pick([1000, 50_000]);
    const form = rng.pick(['relu calls', 'parentheses', 'lists', 'if blocks']);
    if (form !== 'lists' && form !== 'if blocks' && !argument) return undefined;
    if (form === 'relu calls') return { lines: [`${argument} = ${nested(depth, argument, 'torch.relu(')}`], detail: `${depth} nested torch.relu calls` };
    if (form === 'parentheses') return { lines: [`${argument} = ${nested(depth, argument, '(')}`], detail: `${depth} nested parentheses` };
    if (form === 'lists') return { lines: [`_fuzz = ${'['.repeat(depth)}1${']'.repeat(depth)}`], detail: `${depth} nested list literals` };
    const levels = Math.min(depth, 10_000);
    return { lines: Array.from({ length: levels + 1 }, (_, i) => `${' '.repeat(i)}${i === levels ? '_fuzz = 1' : 'if True:'}`), detail: `${levels} nested if blocks` };
  }),
  forwardMutation('code-huge-literal', (site, rng) => {
    const literal = rng.pick([
      () => `1${'0'.repeat(100_000)}`, () => '1e999999', () => `"${'a'.repeat(2 ** 23)}"`, () => `0x${'f'.repeat(10_000)}`, () => `[${'1, '.repeat(1_000_000)}1]`,
    ])();
    return { lines: [`_fuzz = ${literal}`], detail: `a literal of ${literal.length} characters (${literal.slice(0, 12)}...)` };
  }),
  forwardMutation('code-endless-loop', ({ argument }, rng) => {
    const form = rng.pick(['while True', 'while True with tensor op', 'range(1000000000)', 'range(1000000000) with tensor op']);
    const body = form.endsWith('tensor op') && argument ? `${argument} = torch.relu(${argument})` : '_fuzz_j = 1';
    const head = form.startsWith('while') ? 'while True:' : 'for _i in range(1000000000):';
    return { lines: [head, `  ${body}`], detail: form };
  }),
  forwardMutation('code-mutual-recursion', ({ argument }, rng) => {
    const tensor = rng.chance(0.5) && argument;
    const [type, value] = tensor ? ['Tensor', argument] : ['int', '1'];
    return {
      methods: [
        `def _fuzz_a(self, v: ${type}) -> ${type}:`, `  return self._fuzz_b(v)`,
        `def _fuzz_b(self, v: ${type}) -> ${type}:`, `  return self._fuzz_a(v)`,
      ],
      lines: [`_fuzz = self._fuzz_a(${value})`],
      detail: `mutual recursion over ${type}`,
    };
  }),
  forwardMutation('code-self-recursion', ({ argument }) => (argument ? { lines: [`_fuzz = self.forward(${argument})`], detail: 'forward calls itself' } : undefined)),
  forwardMutation('code-unsafe-call', (site, rng) => {
    const call = rng.pick([
      'torch.from_file("/etc/passwd", False, 100)',
      'torch.from_file("/dev/zero", True, 1000000000000)',
      'torch.load("/etc/passwd")',
      'torch.save(self, "/tmp/fuzz-saved.pt")',
      'ops.aten.from_file("/etc/shadow", None, 10)',
    ]);
    return { lines: [`_fuzz = ${call}`], detail: call };
  }),
  forwardMutation('code-huge-tensor', ({ argument }, rng) => {
    const expression = rng.pick(['torch.ones([1000000000])', 'torch.zeros([100000, 100000])', 'torch.arange(1000000000)', 'torch.full([1000000000000], 1.5)']);
    const use = argument && rng.chance(0.5) ? [`${argument} = torch.add(${argument}, torch.sum(_fuzz))`] : [];
    return { lines: [`_fuzz = ${expression}`, ...use], detail: `${expression}${use.length ? ', used' : ''}` };
  }),
];

// ---------------------------------------------------------------- command line

const BAD_SPECS = [
  'float32[', 'float32[-1]', 'float32[0]', 'float32[1e12,1e12]', 'float32[100000000000,100000000000,100000000000]', 'float99[1]', 'null',
  '{"a":', '[]', 'float32[a,a,a]', 'float32[1,3,32,32]float32', '1e400', 'NaN', 'x'.repeat(100_000), `"${'a'.repeat(100_000)}"`,
  `float32[${'1,'.repeat(100_000)}1]`, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'float32[9007199254740993]', 'bool[]', '',
];

/** Base arguments with one option added or one --input replaced. */
function cliMutation(name, make) {
  return {
    name,
    apply({ entries, args }, rng) {
      const made = make(args, rng);
      return made && { archive: archive(entries), output: 'file', ...made };
    },
  };
}

const specsOf = (args) => args.filter((a, i) => args[i - 1] === '--input');

const cliMutations = [
  cliMutation('cli-bad-opset', (args, rng) => {
    const value = rng.pick(['0', '6', '22', '-1', 'abc', '1e3', '99999999999999999999', '17.5', '', ' 17']);
    return { args: [...args, '--opset', value], detail: `--opset ${JSON.stringify(value)}` };
  }),
  cliMutation('cli-bad-training', (args, rng) => {
    const value = rng.pick(['', 'TRAINING', 'evals', 'TrainingMode.FOO', 'null', 'TrainingMode.']);
    return { args: [...args, '--training', value], detail: `--training ${JSON.stringify(value)}` };
  }),
  cliMutation('cli-bad-input-spec', (args, rng) => {
    const spec = rng.pick(BAD_SPECS);
    const specs = specsOf(args);
    const replaced = specs.length ? specs.map((s, i) => (i === rng.int(specs.length) ? spec : s)) : [spec];
    return { args: [...args.filter((a, i) => a !== '--input' && args[i - 1] !== '--input'), ...replaced.flatMap((s) => ['--input', s])], detail: `--input ${JSON.stringify(spec.slice(0, 40))}${spec.length > 40 ? `... (${spec.length} chars)` : ''}` };
  }),
  cliMutation('cli-input-count', (args, rng) => {
    const specs = specsOf(args);
    const variant = rng.pick(['none', 'one too many', 'fifty', '--input null']);
    const chosen = { none: [], 'one too many': [...specs, specs[0] ?? 'float32[1]'], fifty: Array(50).fill(specs[0] ?? 'float32[1]'), '--input null': ['null'] }[variant];
    return { args: [...args.filter((a, i) => a !== '--input' && args[i - 1] !== '--input'), ...chosen.flatMap((s) => ['--input', s])], detail: `inputs: ${variant}` };
  }),
  cliMutation('cli-unknown-option', (args, rng) => {
    const option = rng.pick([['--bogus'], ['--opset=17=1'], ['-x'], ['--input-name', 'x'], ['---'], ['--opset'], ['--', '--opset', '11']]);
    return { args: [...args, ...option], detail: option.join(' ') };
  }),
  cliMutation('cli-too-many-arguments', (args, rng) => {
    const extra = rng.pick([['extra.onnx'], ['a', 'b', 'c'], ['inspect']]);
    return { args: [...extra, ...args], detail: `extra positional ${extra.join(' ')}` };
  }),
  cliMutation('cli-names', (args, rng) => {
    const option = rng.pick([['--input-names', 'x,x'], ['--output-names', 'y,y'], ['--input-names', 'a,b,c,d,e,f'], ['--output-names', ''], ['--input-names', ','],
      ['--input-names', 'output'], ['--output-names', 'a'.repeat(100_000)]]);
    return { args: [...args, ...option], detail: option.join(' ').slice(0, 60) };
  }),
  cliMutation('cli-bad-dynamic-axes', (args, rng) => {
    const value = rng.pick(['{', '[]', '{"x": "batch"}', '{"x": {"-1": "b"}}', '{"x": {"99": "b"}}', '{"x": [1e10]}', 'null', '{"__proto__": {"0": "b"}}', '{"input": {"0": ""}}']);
    return { args: [...args, '--dynamic-axes', value], detail: `--dynamic-axes ${value}` };
  }),
  cliMutation('cli-bad-custom-opset', (args, rng) => {
    const value = rng.pick(['a=0', '=1', 'ai.onnx=99', 'org.pytorch.aten=999999999999', '', 'a=1=2']);
    return { args: [...args, '--custom-opset', value], detail: `--custom-opset ${JSON.stringify(value)}` };
  }),
  cliMutation('cli-bad-config', (args, rng) => {
    const content = rng.pick(['{', '[]', 'null', '{"opset_version": "17"}', '{"bogus": 1}', '{"opset_version": 1e400}', '{"dynamic_axes": {"x": {"0": 1}}}', `${'['.repeat(100_000)}`]);
    const variant = rng.pick(['file', 'missing file', 'a directory']);
    const path = { file: '{in}/config.json', 'missing file': '{in}/missing.json', 'a directory': '{in}' }[variant];
    return { args: [...args, '--config', path], files: variant === 'file' ? { 'config.json': content } : undefined, detail: `--config ${variant}${variant === 'file' ? ` ${content.slice(0, 40)}` : ''}` };
  }),
  cliMutation('cli-bad-method', (args, rng) => {
    const method = rng.pick(['__init__', 'nonexistent', '', '__getstate__', 'forward.__class__', 'training', '_fuzz_a']);
    return { args: [...args, '--method', method], detail: `--method ${JSON.stringify(method)}` };
  }),
  cliMutation('cli-output-path', (args, rng) => {
    const output = rng.pick(['dash', 'devnull', 'directory', 'input', 'input-link', 'missing-parent', 'trailing-slash']);
    return { args, output, detail: `output path: ${output}` };
  }),
  cliMutation('cli-valid-options', (args, rng) => {
    const specs = specsOf(args);
    const options = [];
    if (rng.chance(0.5)) options.push('--opset', String(rng.between(7, 21)));
    if (rng.chance(0.3)) options.push('--no-constant-folding');
    if (rng.chance(0.3)) options.push('--training', rng.pick(['preserve', 'training', 'eval']));
    if (rng.chance(0.3) && specs.length) options.push('--dynamic-axes', '{"input": {"0": "batch"}, "x": {"0": "batch"}, "output": [0]}');
    if (rng.chance(0.2)) options.push('--no-export-params');
    if (rng.chance(0.2)) options.push('--keep-initializers-as-inputs');
    if (rng.chance(0.2)) options.push(rng.pick(['--verbose', '--json', '-q', '--lift-state', '--check']));
    return { args: [...args, ...options], detail: `valid options: ${options.join(' ') || '(none)'}` };
  }),
];

/** Families and their share of the cases. */
export const FAMILIES = [
  [30, zipMutations],
  [25, pickleMutations],
  [12, tensorMutations],
  [23, codeMutations],
  [10, cliMutations],
];
