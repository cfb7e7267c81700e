/** The messages between the page (main.ts) and its worker (worker.ts). */
import type { ConvertOptions, ConvertReport, ConvertStage } from '../src/pipeline.js';
import type { InspectReport } from '../src/inspect-archive.js';

/** ConvertOptions without the callback, which cannot cross to the worker. */
export type WorkerConvertOptions = Omit<ConvertOptions, 'onStage'>;

export type PageRequest =
  | { readonly type: 'inspect'; readonly file: File; readonly opset?: number }
  | { readonly type: 'convert'; readonly file: File; readonly options: WorkerConvertOptions };

/** A downloadable output file. */
export interface OutputFile {
  readonly name: string;
  readonly blob: Blob;
}

export type WorkerReply =
  | { readonly type: 'inspected'; readonly report: InspectReport; readonly text: string }
  | { readonly type: 'stage'; readonly stage: ConvertStage; readonly seconds: Record<ConvertStage, number> }
  | {
    readonly type: 'converted';
    readonly report: ConvertReport;
    readonly model: OutputFile;
    readonly data?: OutputFile;
    /** Where the output files are kept until downloaded: 'disk' (origin-private file system) or 'memory'. */
    readonly storage: 'disk' | 'memory';
  }
  /** `line` is what the command line prints for the same failure. */
  | { readonly type: 'failed'; readonly code: string; readonly line: string };
