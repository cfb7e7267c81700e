/**
 * ONNX IR version for an opset: the lowest IR that supports it, as in onnx's `helper.VERSION_TABLE`
 * and PyTorch's `kOpsetVersionToIRVersion`. Emitting a newer IR than needed breaks older runtimes
 * ("Unsupported model IR version: 10, max supported IR version: 9").
 */
import { fail } from '../errors.js';

/** The opsets tsonnx writes: the range of torch.onnx.export's `opset_version` it follows. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;
/** The opset written when none is asked for. */
export const DEFAULT_OPSET = 17;

/** [first opset, ir_version], ascending. */
const IR_VERSION_FROM_OPSET: ReadonlyArray<readonly [number, number]> = [
  [7, 3],
  [9, 4],
  [10, 5],
  [11, 6],
  [12, 7],
  [15, 8],
  [19, 9],
  [21, 10],
];

export function irVersionForOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    fail('OPTION_INVALID', `opset ${opset} is not supported (supported: ${MIN_OPSET} to ${MAX_OPSET})`);
  }
  let irVersion = 0;
  for (const [firstOpset, ir] of IR_VERSION_FROM_OPSET) {
    if (opset >= firstOpset) irVersion = ir;
  }
  return irVersion;
}
