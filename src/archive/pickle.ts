/**
 * A restricted unpickler for the pickles TorchScript archives hold (docs/torchscript-format.md §3).
 *
 * It never executes anything: GLOBAL resolves only the names `torch.jit.save` writes (an allow-list)
 * to small built-in constructors, and any other global is rejected. Values map onto `PickleValue`:
 * - ints are `number` (or `bigint` outside ±2^53), floats `PyFloat`, tuples `{kind: 'tuple'}`,
 *   dicts `{kind: 'dict'}`, tensors `TensorRef`, `__torch__` objects `ScriptObject`;
 * - an enum member (`GLOBAL '__torch__ Color'`, value, REDUCE) is a `ScriptObject` of the enum class
 *   with no attributes and `state` = the member's value (the member is the class entry with that value);
 * - a `builtins.complex` scalar is a `ScriptObject` with className `builtins.complex` and PyFloat
 *   attributes `real` and `imag` (`PickleValue` has no complex kind);
 * - qschemes (`torch per_tensor_affine`) are `GlobalValue`s.
 * BINGET returns the very object BINPUT stored, so shared tensors, lists and objects stay shared.
 */
import { fail } from '../errors.js';
import { MAX_PICKLE_DEPTH, MAX_PICKLE_ITEMS, MAX_REPEATED_VIEW_BYTES, MAX_TENSOR_RANK } from './limits.js';
import { dtypeItemSize } from './tensor-data.js';
import {
  isTensorRef,
  PyFloat,
  type DType,
  type DeviceValue,
  type DictValue,
  type GlobalValue,
  type PickleTuple,
  type PickleValue,
  type QuantParams,
  type ScriptObject,
  type StorageRef,
  type TensorRef,
} from './types.js';

export interface UnpickleOptions {
  /** Names the pickle in messages, e.g. `data.pkl`. */
  readonly source: string;
  /** Resolves the persistent id `('storage', <dtype>, key, location, numel)` of a tensor storage. */
  readonly loadStorage?: (dtype: DType, key: string, numel: number) => StorageRef;
  /** The tensor table (`constants.pkl`) for `build_tensor_from_id` and legacy `TensorID`. */
  readonly tensorTable?: readonly PickleValue[];
  /** Stack entries, marks and memo slots the pickle may create; MAX_PICKLE_ITEMS unless given. */
  readonly maxItems?: number;
  /**
   * Receives the TorchScript type each container was tagged with (`restore_type_tag`, `build_*list`
   * in version ≥ 3 archives), e.g. `Dict[str, int]`; the unpickler keeps its own when absent.
   */
  readonly typeTags?: WeakMap<object, string>;
}

/** `torch <Name>Storage` → dtype (`c10::toString(ScalarType)`, §3.2). */
const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  ByteStorage: 'uint8',
  CharStorage: 'int8',
  ShortStorage: 'int16',
  IntStorage: 'int32',
  LongStorage: 'int64',
  HalfStorage: 'float16',
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  BoolStorage: 'bool',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  BFloat16Storage: 'bfloat16',
};

/** Storage names PyTorch writes whose dtypes tsonnx cannot represent. */
const UNSUPPORTED_STORAGES = new Set([
  'ComplexHalfStorage', 'QUInt4x2Storage', 'QUInt2x4Storage', 'Float8_e5m2Storage', 'Float8_e4m3fnStorage',
  'Float8_e5m2fnuzStorage', 'Float8_e4m3fnuzStorage', 'UInt16Storage', 'UInt32Storage', 'UInt64Storage',
  'Bits1x8Storage', 'Bits2x4Storage', 'Bits4x2Storage', 'Bits8Storage', 'Bits16Storage',
]);

const QSCHEMES = new Set<QuantParams['scheme']>([
  'per_tensor_affine', 'per_channel_affine', 'per_channel_affine_float_qparams', 'per_tensor_symmetric', 'per_channel_symmetric',
]);

/**
 * Values that live only on the unpickler's stack and must not escape into results. The private
 * brand keeps them nominal, so a PickleTuple is never mistaken for a RawTuple.
 */
abstract class StackToken {
  private readonly stackOnly = true;
}
class StorageType extends StackToken {
  constructor(readonly dtype: DType, readonly name: string) {
    super();
  }
}
class StorageValue extends StackToken {
  constructor(readonly ref: StorageRef) {
    super();
  }
}
class Callable extends StackToken {
  constructor(readonly qualifiedName: string, readonly apply: (arg: Value) => Value) {
    super();
  }
}
class ClassGlobal extends StackToken {
  constructor(readonly className: string) {
    super();
  }
}
/** A tuple holding stack-only values: a persistent id, or the arguments of a tensor constructor. */
class RawTuple extends StackToken {
  constructor(readonly items: Value[]) {
    super();
  }
}
type Value = PickleValue | StackToken;
type MutableObject = { -readonly [K in keyof ScriptObject]: ScriptObject[K] };
type MutableDict = { readonly kind: 'dict'; entries: Array<[PickleValue, PickleValue]> };

function isInternal(value: Value): value is StackToken {
  return value instanceof StackToken;
}

function isTuple(value: Value): value is PickleTuple {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'tuple';
}

function isDict(value: Value): value is DictValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'dict';
}

function isObject(value: Value): value is ScriptObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'object';
}


/** TorchScript ints are int64: a wider payload cannot be one, and decoding it would cost time for nothing. */
const MAX_INT_BYTES = 8;
/** Decimal digits of the widest int64, with its sign. */
const MAX_INT_TEXT = 20;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Text from the pickle, quoted on one line and shortened for messages. */
function quote(text: string): string {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  return `'${shown.slice(1, -1)}'`;
}

/** Sizes or strides for messages: `[2, 3]`, the first eight of longer lists. */
function showDims(dims: readonly number[]): string {
  return `[${dims.slice(0, 8).join(', ')}${dims.length > 8 ? `, … ${dims.length} dims` : ''}]`;
}

/** One level only: stack tokens can nest as deep as the pickle is long. */
function describe(value: Value): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof StorageType) return `torch.${value.name}`;
  if (value instanceof StorageValue) return 'storage';
  if (value instanceof Callable) return value.qualifiedName;
  if (value instanceof ClassGlobal) return `class ${value.className}`;
  if (value instanceof RawTuple) return `tuple holding ${value.items.filter(isInternal).map((item) => (item instanceof RawTuple ? 'a tuple' : describe(item))).join(', ')}`;
  if (value instanceof StackToken) return 'internal value';
  if (typeof value === 'object') return value.kind;
  return typeof value;
}

function narrowInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Keys that make SETITEM replace an existing entry, as in Python. */
function dictKey(key: PickleValue): string | undefined {
  if (typeof key === 'string') return `s${key}`;
  if (typeof key === 'number' || typeof key === 'bigint') return `i${key}`;
  if (typeof key === 'boolean') return `b${key}`;
  if (key instanceof PyFloat) return `f${key.value}`;
  return undefined;
}

class Unpickler {
  private position = 0;
  private readonly stack: Value[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, Value>();
  /** Stack entries, marks and memo slots created so far (UnpickleOptions.maxItems). */
  private created = 0;
  /** Nesting depth of the containers built so far; scalars are 0, an empty container 1. */
  private readonly depths = new WeakMap<object, number>();
  /** Values already placed inside another: changing them afterwards could make a value contain itself. */
  private readonly placed = new WeakSet<object>();
  private readonly dictIndex = new WeakMap<MutableDict, Map<string, number>>();
  private readonly typeTags: WeakMap<object, string>;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly data: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.typeTags = options.typeTags ?? new WeakMap();
  }

  private corrupt(message: string): never {
    fail('PICKLE_CORRUPT', `${this.options.source}: ${message} (at byte ${this.position})`);
  }

  private need(count: number): number {
    if (this.position + count > this.data.length) this.corrupt('unexpected end of pickle');
    const at = this.position;
    this.position += count;
    return at;
  }

  private byte(): number {
    return this.data[this.need(1)];
  }

  private uint16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  private uint32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  private bytes(count: number): Uint8Array {
    const at = this.need(count);
    return this.data.subarray(at, at + count);
  }

  private line(): string {
    const end = this.data.indexOf(0x0a, this.position);
    if (end < 0) this.corrupt('unterminated text argument');
    const text = this.decoder.decode(this.data.subarray(this.position, end));
    this.position = end + 1;
    return text;
  }

  private littleEndianInt(bytes: Uint8Array): number | bigint {
    if (bytes.length > MAX_INT_BYTES) this.corrupt(`a ${bytes.length}-byte integer is wider than TorchScript's int64`);
    if (bytes.length === 0) return 0;
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
    return narrowInt(value);
  }

  private textInt(text: string): number | bigint {
    const digits = text.endsWith('L') ? text.slice(0, -1) : text;
    if (!/^[+-]?\d+$/.test(digits)) this.corrupt(`bad integer literal ${quote(text)}`);
    // Checked before BigInt parses it: a long literal would take time for a value no int64 holds.
    const value = digits.length <= MAX_INT_TEXT ? BigInt(digits) : undefined;
    if (value === undefined || value < INT64_MIN || value > INT64_MAX) this.corrupt(`integer literal ${quote(text)} is outside TorchScript's int64`);
    return narrowInt(value);
  }

  private countItem(): void {
    const limit = this.options.maxItems ?? MAX_PICKLE_ITEMS;
    if (++this.created > limit) {
      fail('ARCHIVE_LIMIT', `${this.options.source}: pickle creates more than ${limit} values, marks and memo entries (at byte ${this.position})`);
    }
  }

  private push(value: Value): void {
    this.countItem();
    this.stack.push(value);
  }

  private depthOf(value: Value): number {
    return typeof value === 'object' && value !== null ? (this.depths.get(value) ?? 1) : 0;
  }

  /** Records that `item` now sits inside `container`, which must not itself be inside another value yet. */
  private place(container: object, item: Value): void {
    if (item === container) this.corrupt(`a ${describe(item)} contains itself`);
    const depth = this.depthOf(item) + 1;
    if (depth > this.depthOf(container as Value)) {
      if (depth > MAX_PICKLE_DEPTH) {
        fail('ARCHIVE_LIMIT', `${this.options.source}: values nest deeper than ${MAX_PICKLE_DEPTH} levels (at byte ${this.position})`);
      }
      this.depths.set(container, depth);
    }
    if (typeof item === 'object' && item !== null) this.placed.add(item);
  }

  /** Containers are filled before they are placed, so filling one already placed is corrupt (and could close a cycle). */
  private checkUnplaced(target: object, operation: string): void {
    if (this.placed.has(target)) this.corrupt(`${operation} on a ${describe(target as Value)} already inside another value`);
  }

  private pop(): Value {
    if (this.stack.length === 0 || (this.marks.length > 0 && this.stack.length <= this.marks[this.marks.length - 1])) {
      this.corrupt('stack underflow');
    }
    return this.stack.pop() as Value;
  }

  private top(): Value {
    if (this.stack.length === 0) this.corrupt('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): Value[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.corrupt('MARK expected');
    const items = this.stack.slice(mark);
    this.stack.length = mark;
    return items;
  }

  private memoGet(index: number): Value {
    const value = this.memo.get(index);
    if (value === undefined) this.corrupt(`memo slot ${index} is empty`);
    return value;
  }

  private memoPut(index: number): void {
    const value = this.top();
    if (!this.memo.has(index)) this.countItem();
    this.memo.set(index, value);
  }

  private pickleValue(value: Value, role: string): PickleValue {
    if (isInternal(value)) this.corrupt(`${describe(value)} used as ${role}`);
    return value;
  }

  private tuple(items: Value[]): PickleTuple | RawTuple {
    const tuple = items.some(isInternal) ? new RawTuple(items) : { kind: 'tuple' as const, items: items as PickleValue[] };
    for (const item of items) this.place(tuple, item);
    return tuple;
  }

  /** Items of a tuple (PickleTuple or RawTuple), or undefined when `value` is not one. */
  private tupleItems(value: Value): Value[] | undefined {
    return value instanceof RawTuple || isTuple(value) ? value.items : undefined;
  }

  private setItems(target: Value, items: Value[]): void {
    if (!isDict(target)) this.corrupt(`SETITEMS on ${describe(target)}`);
    if (items.length % 2 !== 0) this.corrupt('SETITEMS with an odd number of items');
    this.checkUnplaced(target, 'SETITEMS');
    const dict = target as MutableDict;
    let index = this.dictIndex.get(dict);
    if (!index) {
      index = new Map();
      this.dictIndex.set(dict, index);
    }
    for (let i = 0; i < items.length; i += 2) {
      const key = this.pickleValue(items[i], 'a dict key');
      const value = this.pickleValue(items[i + 1], 'a dict value');
      this.place(dict, key);
      this.place(dict, value);
      const hash = dictKey(key);
      const existing = hash === undefined ? undefined : index.get(hash);
      if (existing !== undefined) {
        dict.entries[existing] = [key, value];
      } else {
        if (hash !== undefined) index.set(hash, dict.entries.length);
        dict.entries.push([key, value]);
      }
    }
  }

  private appendItems(target: Value, items: Value[]): void {
    if (!Array.isArray(target)) this.corrupt(`APPENDS on ${describe(target)}`);
    this.checkUnplaced(target, 'APPENDS');
    for (const item of items) {
      this.place(target, item);
      target.push(this.pickleValue(item, 'a list item'));
    }
  }

  private build(target: Value, state: Value): void {
    if (!isObject(target)) this.corrupt(`BUILD on ${describe(target)}`);
    const object = target as MutableObject;
    this.checkUnplaced(object, 'BUILD');
    // Form (a) is the raw attribute dict; a dict returned by __getstate__ carries a type tag.
    if (isDict(state) && !this.typeTags.has(state) && object.attributes.size === 0 && state.entries.every(([key]) => typeof key === 'string')) {
      for (const [key, value] of state.entries) {
        this.place(object, value);
        object.attributes.set(key as string, value);
      }
      return;
    }
    this.place(object, state);
    object.state = this.pickleValue(state, 'object state');
  }

  private persistentLoad(pid: Value): StorageValue {
    const loadStorage = this.options.loadStorage;
    if (!loadStorage) this.corrupt('unexpected persistent id');
    const items = this.tupleItems(pid) ?? this.corrupt(`persistent id is a ${describe(pid)}, expected a tuple`);
    // Version-1 archives (PyTorch 1.3) append a sixth item, always None (torch.save's view metadata).
    const [tag, type, key, , numel, viewMetadata = null] = items;
    if (items.length < 5 || items.length > 6 || tag !== 'storage') this.corrupt(`unknown persistent id (${describe(items[0] ?? null)})`);
    if (viewMetadata !== null) fail('ARCHIVE_UNSUPPORTED', `${this.options.source}: storage views (persistent id view metadata) are not supported`);
    if (!(type instanceof StorageType)) this.corrupt(`persistent id names ${describe(type)}, expected a storage type`);
    // TorchScript names storage records by number; anything else would only reach messages.
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) this.corrupt(`storage key ${typeof key === 'string' ? quote(key) : describe(key)} is not a record name`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) this.corrupt('storage size is not a valid count');
    return new StorageValue(loadStorage(type.dtype, key, numel));
  }

  private call(callable: Value, arg: Value): Value {
    if (callable instanceof Callable) return callable.apply(arg);
    if (callable instanceof ClassGlobal) return this.enumMember(callable, arg);
    return this.corrupt(`REDUCE on ${describe(callable)}`);
  }

  private enumMember(cls: ClassGlobal, arg: Value): ScriptObject {
    // TorchScript pushes the raw value; Python's pickle would wrap it in a 1-tuple.
    const items = this.tupleItems(arg);
    const value = items && items.length === 1 ? items[0] : arg;
    const member: ScriptObject = { kind: 'object', className: cls.className, attributes: new Map(), state: this.pickleValue(value, 'an enum value') };
    this.place(member, value);
    return member;
  }

  private newObject(cls: Value): ScriptObject {
    if (!(cls instanceof ClassGlobal)) this.corrupt(`NEWOBJ on ${describe(cls)}`);
    return { kind: 'object', className: cls.className, attributes: new Map() };
  }

  run(): PickleValue {
    for (;;) {
      const opcode = this.byte();
      switch (opcode) {
        case 0x80: { // PROTO
          const protocol = this.byte();
          if (protocol > 5) this.corrupt(`unsupported pickle protocol ${protocol}`);
          break;
        }
        case 0x95: { // FRAME: only a hint for buffered readers, but its length must fit
          const low = this.uint32();
          const length = this.uint32() * 2 ** 32 + low;
          if (length > this.data.length - this.position) this.corrupt(`frame of ${length} bytes runs past the end of the pickle`);
          break;
        }
        case 0x2e: // STOP
          return this.finish();
        case 0x28: // MARK
          this.countItem();
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.byte());
          break;
        case 0x4d: // BININT2
          this.push(this.uint16());
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.need(4), true));
          break;
        case 0x8a: // LONG1
          this.push(this.littleEndianInt(this.bytes(this.byte())));
          break;
        case 0x8b: // LONG4
          this.push(this.littleEndianInt(this.bytes(this.uint32())));
          break;
        case 0x49: { // INT
          const text = this.line();
          this.push(text === '00' ? false : text === '01' ? true : this.textInt(text));
          break;
        }
        case 0x4c: // LONG
          this.push(this.textInt(this.line()));
          break;
        case 0x47: // BINFLOAT (big-endian)
          this.push(new PyFloat(this.view.getFloat64(this.need(8), false)));
          break;
        case 0x46: { // FLOAT
          const text = this.line();
          const value = Number(text);
          if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text)) this.corrupt(`bad float literal ${quote(text)}`);
          this.push(new PyFloat(value));
          break;
        }
        case 0x58: // BINUNICODE
          this.push(this.decoder.decode(this.bytes(this.uint32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.decoder.decode(this.bytes(this.byte())));
          break;
        case 0x8d: { // BINUNICODE8
          const low = this.uint32();
          const high = this.uint32();
          this.push(this.decoder.decode(this.bytes(high * 2 ** 32 + low)));
          break;
        }
        case 0x29: // EMPTY_TUPLE
          this.push({ kind: 'tuple', items: [] });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: { // TUPLE3
          const count = opcode - 0x84;
          const items: Value[] = [];
          for (let i = 0; i < count; i++) items.unshift(this.pop());
          this.push(this.tuple(items));
          break;
        }
        case 0x74: // TUPLE
          this.push(this.tuple(this.popMark()));
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: { // LIST
          const list: PickleValue[] = [];
          this.appendItems(list, this.popMark());
          this.push(list);
          break;
        }
        case 0x61: { // APPEND
          const item = this.pop();
          this.appendItems(this.top(), [item]);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          this.appendItems(this.top(), items);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push({ kind: 'dict', entries: [] });
          break;
        case 0x64: { // DICT
          const dict: DictValue = { kind: 'dict', entries: [] };
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case 0x73: { // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x63: { // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.corrupt('STACK_GLOBAL needs two strings');
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const arg = this.pop();
          const callable = this.pop();
          this.push(this.call(callable, arg));
          break;
        }
        case 0x81: { // NEWOBJ
          this.pop(); // constructor args: TorchScript objects are built from their state alone
          this.push(this.newObject(this.pop()));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x51: // BINPERSID
          this.push(this.persistentLoad(this.pop()));
          break;
        case 0x71: // BINPUT
          this.memoPut(this.byte());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.uint32());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;
        case 0x70: // PUT
          this.memoPut(Number(this.textInt(this.line())));
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.byte()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.uint32()));
          break;
        case 0x67: // GET
          this.push(this.memoGet(Number(this.textInt(this.line()))));
          break;
        default:
          this.position--;
          this.corrupt(`unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')}`);
      }
    }
  }

  private finish(): PickleValue {
    if (this.stack.length === 0) this.corrupt('STOP with an empty stack');
    // Containers check what goes into them, so only the top value can still be a stack token.
    return this.pickleValue(this.stack[this.stack.length - 1], 'the result');
  }

  private resolveGlobal(module: string, name: string): Value {
    const qualified = `${module}.${name}`;
    if (module === '__torch__' || module.startsWith('__torch__.')) return new ClassGlobal(qualified);
    const callable = (apply: (arg: Value) => Value): Callable => new Callable(qualified, apply);
    switch (qualified) {
      case 'torch._utils._rebuild_tensor_v2':
        return callable((arg) => this.rebuildTensor(this.args(arg, qualified)));
      case 'torch._utils._rebuild_qtensor':
        return callable((arg) => this.rebuildQuantizedTensor(this.args(arg, qualified)));
      case 'torch._utils._rebuild_sparse_tensor':
        return callable(() => fail('ARCHIVE_UNSUPPORTED', `${this.options.source}: sparse tensors are not supported`));
      case 'collections.OrderedDict':
        return callable((arg) => {
          const dict: DictValue = { kind: 'dict', entries: [] };
          const [pairs] = this.args(arg, qualified);
          if (pairs !== undefined) {
            if (!Array.isArray(pairs)) this.corrupt('OrderedDict expects a list of pairs');
            this.setItems(dict, pairs.flatMap((pair) => (isTuple(pair) && pair.items.length === 2 ? pair.items : this.corrupt('OrderedDict expects pairs'))));
          }
          return dict;
        });
      case 'torch.jit._pickle.restore_type_tag':
        return callable((arg) => {
          const [tagged, tag] = this.args(arg, qualified);
          const value = this.pickleValue(tagged, 'a tagged value');
          if (typeof tag === 'string' && typeof value === 'object' && value !== null) this.typeTags.set(value, tag);
          return value;
        });
      case 'torch.jit._pickle.build_intlist':
        return callable((arg) => this.specializedList(arg, qualified, 'List[int]'));
      case 'torch.jit._pickle.build_doublelist':
        return callable((arg) => this.specializedList(arg, qualified, 'List[float]'));
      case 'torch.jit._pickle.build_boollist':
        return callable((arg) => this.specializedList(arg, qualified, 'List[bool]'));
      case 'torch.jit._pickle.build_tensorlist':
        return callable((arg) => this.specializedList(arg, qualified, 'List[Tensor]'));
      case 'torch.jit._pickle.build_tensor_from_id':
      case '__main__.TensorID':
        return callable((arg) => this.tensorFromTable(this.tupleItems(arg)?.[0] ?? arg));
      case '__main__.IntList':
        return callable((arg) => this.specializedList(this.tupleItems(arg) ?? [arg], qualified, 'List[int]'));
      case 'torch.device':
        return callable((arg): DeviceValue => {
          const [device] = this.args(arg, qualified);
          if (typeof device !== 'string') this.corrupt('torch.device expects a string');
          return { kind: 'device', device };
        });
      case 'builtins.complex':
        return callable((arg): ScriptObject => {
          const [real, imag] = this.args(arg, qualified).map((part) => (part instanceof PyFloat ? part : typeof part === 'number' ? new PyFloat(part) : this.corrupt('complex expects two numbers')));
          return { kind: 'object', className: 'builtins.complex', attributes: new Map<string, PickleValue>([['real', real ?? new PyFloat(0)], ['imag', imag ?? new PyFloat(0)]]) };
        });
    }
    if (module === 'torch') {
      const dtype = STORAGE_DTYPES[name];
      if (dtype) return new StorageType(dtype, name);
      if (UNSUPPORTED_STORAGES.has(name)) fail('ARCHIVE_UNSUPPORTED', `${this.options.source}: tensors of storage type torch.${name} are not supported`);
      if (QSCHEMES.has(name as QuantParams['scheme'])) return { kind: 'global', module, name } satisfies GlobalValue;
    }
    return fail('PICKLE_FORBIDDEN_GLOBAL', `${this.options.source}: pickle global ${quote(qualified)} is not allowed in a TorchScript archive`);
  }

  private args(arg: Value, what: string): Value[] {
    return this.tupleItems(arg) ?? this.corrupt(`${what} expects an argument tuple, got ${describe(arg)}`);
  }

  private specializedList(arg: Value | Value[], what: string, tag: string): PickleValue[] {
    const [list] = Array.isArray(arg) ? arg : this.args(arg, what);
    if (!Array.isArray(list)) this.corrupt(`${what} expects a list`);
    this.typeTags.set(list, tag);
    return list;
  }

  private tensorFromTable(index: Value): PickleValue {
    const table = this.options.tensorTable;
    if (typeof index !== 'number' || !table || index < 0 || index >= table.length) {
      this.corrupt(`tensor table reference ${describe(index)} out of range`);
    }
    return table[index];
  }

  /** Sizes or strides: non-negative integers, as PyTorch never writes anything else. */
  private dims(value: Value, what: string, tensor: string): number[] {
    const items = isTuple(value) ? value.items : Array.isArray(value) ? value : this.corrupt(`${what} is not a tuple`);
    if (items.length > MAX_TENSOR_RANK) {
      fail('ARCHIVE_LIMIT', `${this.options.source}: ${tensor} has ${items.length} dims, more than the ${MAX_TENSOR_RANK} PyTorch supports`);
    }
    return items.map((item) => {
      if (typeof item === 'number' && Number.isSafeInteger(item) && item >= 0) return item;
      const shown = typeof item === 'number' || typeof item === 'bigint' ? String(item) : describe(item);
      return fail('ARCHIVE_CORRUPT', `${this.options.source}: ${tensor} has ${what} ${shown}`);
    });
  }

  /**
   * The view, checked against its storage before anything reads it: the last element it reaches
   * lies inside the storage (computed exactly, sizes can overflow doubles), and a view repeating
   * elements materialises at most MAX_REPEATED_VIEW_BYTES beyond the storage's own size.
   */
  private stridedView(args: Value[], what: string): Omit<TensorRef, 'quant'> {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageValue)) this.corrupt(`${what} expects a storage, got ${describe(storage)}`);
    const ref = storage.ref;
    const unsized = `tensor of storage '${ref.entry.name}'`;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      fail('ARCHIVE_CORRUPT', `${this.options.source}: ${unsized} has storage offset ${typeof offset === 'number' || typeof offset === 'bigint' ? offset : describe(offset)}`);
    }
    const shape = this.dims(size, 'size', unsized);
    const strides = this.dims(stride, 'stride', unsized);
    if (shape.length !== strides.length) this.corrupt(`${what}: size has ${shape.length} dims but stride has ${strides.length}`);
    const tensor = `tensor ${showDims(shape)} of storage '${ref.entry.name}'`;
    let count = 1n;
    let last = BigInt(offset);
    for (let i = 0; i < shape.length; i++) {
      count *= BigInt(shape[i]);
      last += BigInt(shape[i] - 1) * BigInt(strides[i]);
    }
    if (count > 0n) {
      if (last >= BigInt(ref.numel)) {
        fail('ARCHIVE_CORRUPT', `${this.options.source}: ${tensor} with strides ${showDims(strides)} at offset ${offset} reaches element ${last}, past the storage's ${ref.numel} elements`);
      }
      const itemSize = BigInt(dtypeItemSize(ref.dtype));
      const limit = BigInt(Math.max(ref.numel * dtypeItemSize(ref.dtype), MAX_REPEATED_VIEW_BYTES));
      if (count * itemSize > limit) {
        fail('ARCHIVE_LIMIT', `${this.options.source}: ${tensor} repeats its storage's ${ref.numel} elements into ${count} (${count * itemSize} bytes), more than the ${MAX_REPEATED_VIEW_BYTES} bytes a view may expand to`);
      }
    }
    return { kind: 'tensor', dtype: ref.dtype, shape, strides, storageOffset: offset, storage: ref, requiresGrad: false };
  }

  private rebuildTensor(args: Value[]): TensorRef {
    const what = '_rebuild_tensor_v2';
    if (args.length !== 6 && args.length !== 7) this.corrupt(`${what} expects 6 or 7 arguments, got ${args.length}`);
    const requiresGrad = args[4];
    if (typeof requiresGrad !== 'boolean') this.corrupt(`${what}: requires_grad is not a bool`);
    const mathBits = args[6];
    if (isDict(mathBits) && mathBits.entries.some(([, set]) => set === true)) {
      fail('ARCHIVE_UNSUPPORTED', `${this.options.source}: tensors saved with conj/neg bits are not supported`);
    }
    return { ...this.stridedView(args, what), requiresGrad };
  }

  private rebuildQuantizedTensor(args: Value[]): TensorRef {
    const what = '_rebuild_qtensor';
    if (args.length !== 7) this.corrupt(`${what} expects 7 arguments, got ${args.length}`);
    const [, , , , qparams, requiresGrad] = args;
    if (typeof requiresGrad !== 'boolean') this.corrupt(`${what}: requires_grad is not a bool`);
    return { ...this.stridedView(args, what), requiresGrad, quant: this.quantParams(qparams) };
  }

  private quantParams(value: Value): QuantParams {
    if (!isTuple(value)) this.corrupt('quantizer parameters are not a tuple');
    const [scheme, ...rest] = value.items;
    if (typeof scheme !== 'object' || scheme === null || !('kind' in scheme) || scheme.kind !== 'global') {
      this.corrupt('quantizer parameters do not start with a qscheme');
    }
    const name = scheme.name as QuantParams['scheme'];
    const number = (item: PickleValue, what: string): number =>
      item instanceof PyFloat ? item.value : typeof item === 'number' ? item : this.corrupt(`quantizer ${what} is not a number`);
    if (name === 'per_tensor_affine' || name === 'per_tensor_symmetric') {
      const [scale, zeroPoint] = rest;
      return { scheme: name, scale: number(scale, 'scale'), zeroPoint: number(zeroPoint, 'zero point') };
    }
    const [scales, zeroPoints, axis] = rest;
    if (!isTensorRef(scales) || !isTensorRef(zeroPoints)) this.corrupt(`${name} parameters need scale and zero-point tensors`);
    return { scheme: name, scales, zeroPoints, axis: number(axis, 'axis') };
  }
}

/** Unpickles `data`; throws TsonnxError (PICKLE_CORRUPT, PICKLE_FORBIDDEN_GLOBAL, ARCHIVE_UNSUPPORTED). */
export function unpickle(data: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Unpickler(data, options).run();
}
