/**
 * What the archive stage hands to the rest of the pipeline. Tensor bytes are never read here:
 * a tensor is a reference into the zip file until a later stage asks for its bytes.
 */

export type DType =
  | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'bfloat16'
  | 'bool' | 'complex64' | 'complex128'
  | 'qint8' | 'quint8' | 'qint32';

/** A stored record of the zip, readable by byte range without holding it in memory. */
export interface ArchiveEntry {
  /** Name relative to the archive root folder, e.g. `data/0`, `code/__torch__.py`. */
  readonly name: string;
  readonly size: number;
  /** Absolute byte range of the data in the file when the entry is stored (not deflated). */
  readonly fileRange?: { start: number; end: number };
  /** The whole entry, inflating if needed. */
  read(): Buffer;
}

/** One storage record (`data/<key>` or `constants/<key>`). */
export interface StorageRef {
  readonly entry: ArchiveEntry;
  readonly dtype: DType;
  /** Elements in the storage (not the tensor). */
  readonly numel: number;
  /** Written by a big-endian saver (the archive's `byteorder` record says `big`): elements are byte-swapped when read. */
  readonly bigEndian?: boolean;
}

export interface QuantParams {
  scheme: 'per_tensor_affine' | 'per_channel_affine' | 'per_channel_affine_float_qparams' | 'per_tensor_symmetric' | 'per_channel_symmetric';
  scale?: number;
  zeroPoint?: number;
  scales?: TensorRef;
  zeroPoints?: TensorRef;
  axis?: number;
}

/** A tensor as pickled: a strided view of a storage. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly shape: number[];
  readonly strides: number[];
  /** In elements of the storage. */
  readonly storageOffset: number;
  readonly storage: StorageRef;
  readonly requiresGrad: boolean;
  readonly quant?: QuantParams;
}

/**
 * A TorchScript object (module, script class, torchbind object) from `data.pkl` / `constants.pkl`.
 * `className` is the qualified name exactly as pickled, mangling included
 * (`__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d`).
 */
export interface ScriptObject {
  readonly kind: 'object';
  readonly className: string;
  /** Attributes in pickled order (form (a) of the format). */
  readonly attributes: Map<string, PickleValue>;
  /** The `__getstate__` value for objects pickled with form (b) (torchbind, custom state). */
  readonly state?: PickleValue;
}

/** An enum member or other bare global that stands for a value (dtype storage tokens never escape). */
export interface GlobalValue {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

export interface DeviceValue {
  readonly kind: 'device';
  readonly device: string;
}

/** A TorchScript dict: keys are strings, numbers or booleans. */
export interface DictValue {
  readonly kind: 'dict';
  readonly entries: Array<[PickleValue, PickleValue]>;
}

/** A Python float kept apart from ints (TorchScript needs the difference). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * Values of the pickle subset TorchScript writes. Python ints are `number`, or `bigint` outside
 * ±2^53; floats are `PyFloat`; tuples are `{ kind: 'tuple', items }`.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | PyFloat
  | string
  | PickleValue[]
  | PickleTuple
  | DictValue
  | TensorRef
  | ScriptObject
  | GlobalValue
  | DeviceValue;

/** Whether a pickled (or any) value is a tensor reference. */
export function isTensorRef(value: unknown): value is TensorRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'tensor';
}

export interface PickleTuple {
  readonly kind: 'tuple';
  readonly items: PickleValue[];
}

export interface Archive {
  readonly path: string;
  /** Root folder inside the zip (without trailing slash). */
  readonly root: string;
  /** File-format version (`version` or `.data/version`). */
  readonly version: number;
  readonly byteorder: 'little' | 'big';
  /** Root module from `data.pkl`. */
  readonly module: ScriptObject;
  /** `constants.pkl`: element i is `CONSTANTS.c<i>`. */
  readonly constants: PickleValue[];
  /** `traced_inputs.pkl`, by method name, when the archive has it (2.x traces). */
  readonly tracedInputs?: Map<string, PickleValue>;
  /** Entries by name relative to the root. */
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  /** Text of `code/<path>` (e.g. `code/__torch__/torch/nn/modules/conv.py`), or undefined. */
  code(path: string): string | undefined;
  /**
   * Original Python location for a byte offset in a code file, from its `.debug_pkl`
   * (`model.py:42`), when the archive records one.
   */
  pythonLocation(codePath: string, offset: number): string | undefined;
  close(): void;
}
