/** Types of op-coverage.mjs for the TypeScript tests. */
export interface TorchOp {
  op: string;
  /** The lowest opset PyTorch 1.13 or 2.6 lowers the op from. */
  torchOpset: number;
  versions: string[];
}

export interface TorchComparison {
  registered: Array<{ op: string; opset: number; torchOpset: number }>;
  higherOpset: Array<{ op: string; opset: number; torchOpset: number; note?: string }>;
  missing: Array<{ op: string; torchOpset: number; note?: string }>;
  /** Ops with a note although tsonnx now defines them from torch's opset or lower. */
  staleNotes: string[];
}

export declare function readTorchOps(docsDir: string): TorchOp[];
export declare function readNotes(docsDir: string): Map<string, string>;
export declare function compareWithTorch(claimed: ReadonlyMap<string, number>, torchOps: readonly TorchOp[], notes: ReadonlyMap<string, string>): TorchComparison;
