/**
 * TorchGraph: what the interpreter records when it runs `forward` on abstract values.
 * An SSA graph of `aten::`/`prim::` nodes; data-dependent control flow is kept as blocks.
 */
import type { DType, TensorRef } from '../archive/types.js';
import { PyFloat } from '../archive/types.js';
import type { ConversionWarning, SourceLocation } from '../errors.js';

export { PyFloat };

/** A dimension: a number, or the name of a symbolic (dynamic) axis. */
export type Dim = number | string;

export interface TensorType {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /** A quint8/qint8 activation's per-tensor scale and zero point, known at conversion time. */
  readonly quant?: QuantType;
}

/**
 * How a quantized tensor maps its integers to reals: `(q - zeroPoint) * scale`. Static quantization
 * fixes both when the model is converted (module attributes, op arguments), and ops such as pooling
 * keep their input's, so the trace carries them with the type.
 */
export interface QuantType {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** A Python number whose value is only known at run time (a 0-d tensor in ONNX). */
export interface ScalarType {
  readonly kind: 'scalar';
  readonly scalar: 'int' | 'float' | 'bool';
  /** The symbolic dimension this int is the size of (`torch.size(x, 0)` on a `batch` dim). */
  readonly dim?: Dim;
}

/** A list of tensors whose length is only known at run time (an ONNX sequence). */
export interface SequenceType {
  readonly kind: 'sequence';
  readonly element: TensorType;
}

export type ValueType = TensorType | ScalarType | SequenceType;

/** Element values of a tensor known at conversion time (C order). */
export interface KnownTensor {
  readonly type: TensorType;
  readonly values: readonly number[];
}

/**
 * A run-time value in the graph. Its producer is the node that lists it in `outputs`. Values are
 * told apart by identity; they carry no global numbering, which would be state shared between conversions.
 */
export class GValue {
  constructor(
    public type: ValueType,
    /** A readable name hint (TorchScript variable name, parameter path). */
    public hint?: string,
    /** Element values, when they are known at conversion time (shape arithmetic, small constants). */
    public known?: KnownTensor,
  ) {}

  get tensor(): TensorType {
    if (this.type.kind !== 'tensor') throw new Error(`value ${this.hint ?? '(unnamed)'} is not a tensor`);
    return this.type;
  }
}

export interface Device {
  readonly kind: 'device';
  readonly device: string;
}

/** A TorchBind object (`__torch__.torch.classes.quantized.LinearPackedParamsBase`) passed to an op, by its pickled state. */
export interface TorchbindArg {
  readonly kind: 'torchbind';
  readonly className: string;
  readonly state: Arg;
}

/**
 * A bound argument of a node: a graph value, or a value known at conversion time.
 * Python ints are `number`, floats `PyFloat` (only where the schema says Scalar/number;
 * arguments typed `float` are bound as plain numbers), lists are arrays.
 */
export type Arg =
  | GValue
  | number
  | PyFloat
  | boolean
  | string
  | null
  | Device
  | TorchbindArg
  | readonly Arg[];

export interface GBlock {
  /** Values the block receives (Loop: iteration number, condition, carried values). */
  readonly params: GValue[];
  readonly nodes: GNode[];
  /** Values the block yields (If: branch outputs; Loop: condition, carried values). */
  readonly results: GValue[];
}

export interface GNode {
  /** `aten::conv2d`, `prim::If`, `prim::Loop`, `quantized::linear_dynamic`... */
  readonly op: string;
  /** The schema overload the arguments were bound with (`aten::add.Tensor`). */
  readonly overload?: string;
  /** Arguments by schema name, in schema order. */
  readonly args: ReadonlyMap<string, Arg>;
  readonly outputs: GValue[];
  /** Module path of the call (`layer1.0.conv1`), for node names. */
  readonly scope: string;
  readonly location?: SourceLocation;
  readonly blocks?: GBlock[];
}

/**
 * A tensor with stored values: parameters, buffers and `CONSTANTS.cN` (bytes in the archive), or
 * tensors computed at conversion time such as Conv weights with a BatchNorm folded in (bytes).
 */
export interface GParameter {
  /** Qualified name (`layer1.0.conv1.weight`, `CONSTANTS.c3`, `conv1.weight_fused_bn`). */
  readonly name: string;
  readonly value: GValue;
  /**
   * Archive tensor, or a function giving little-endian C-order bytes of `value`'s dtype and shape
   * (called when the writer streams it, so computed weights are not all held at once; the bytes may
   * be in a buffer the next such function reuses).
   */
  readonly data: TensorRef | (() => Uint8Array);
}

export interface GInput {
  readonly name: string;
  readonly value: GValue;
}

export interface TorchGraph {
  readonly inputs: GInput[];
  readonly parameters: GParameter[];
  readonly body: GBlock;
  /** Flattened outputs; names come from dict keys where forward() returns a dict. */
  readonly outputs: Array<{ name?: string; value: GValue }>;
  readonly warnings: ConversionWarning[];
  /** Module state carried between calls (`--lift-state`), in the order forward() first writes it. */
  readonly state?: readonly StateSpec[];
}

/**
 * A module attribute forward() updates. `lifted`: a graph input and an output (the value after the
 * call), with what to feed on the first call. `folded`: a number that keeps one value from the
 * second call on, so the graph computes with that value.
 */
export type StateSpec =
  | {
      readonly kind: 'lifted';
      /** Module attribute path; an element of a tensor list is `<path>.<index>`. */
      readonly attribute: string;
      /** Indexes into the graph's inputs and outputs. */
      readonly input: number;
      readonly output: number;
      readonly dtype: DType;
      readonly shape: readonly Dim[];
      /** The first call's value: the archive's stored value, or zeros of dtype and shape. */
      readonly init: 'stored' | 'zeros';
      /** The stored value's elements (C order) when init is 'stored'. */
      readonly values?: readonly number[];
      /** The first call's shape where the state has dims of its own (a history that grows): the stored value's. */
      readonly initShape?: readonly number[];
    }
  | {
      readonly kind: 'folded';
      readonly attribute: string;
      /** The value from the second call on; a string is the size of that input dim (a batch size). */
      readonly value: number | boolean | string;
      /** The archive's stored value, which the first call of the PyTorch module reads. */
      readonly stored: number | boolean | null;
    };
