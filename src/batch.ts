/**
 * Converting many archives at once (`tsonnx convert a.pt dir/ --output-dir out/`): folders are scanned
 * for TorchScript archives, each archive is converted in a worker thread (conversions share no state),
 * and one archive's failure is its own row, not the batch's end.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ConvertOptions, ConvertReport } from './convert.js';
import { fail, type ErrorRecord } from './errors.js';

/** File names a folder scan takes as TorchScript archives. */
export const ARCHIVE_EXTENSIONS: readonly string[] = ['.pt', '.pth', '.ptl', '.jit', '.pt1', '.zip'];

export interface BatchItem {
  input: string;
  output: string;
}

export interface BatchResult extends BatchItem {
  ok: boolean;
  report?: ConvertReport;
  error?: ErrorRecord;
  /** Wall time of this conversion, in its worker. */
  seconds: number;
}

function archivesIn(folder: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      // Symlinked files count; symlinked folders are not followed (they could loop).
      const isFile = entry.isFile() || (entry.isSymbolicLink() && existsSync(path) && statSync(path).isFile());
      if (entry.isDirectory()) visit(path);
      else if (isFile && ARCHIVE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) found.push(path);
    }
  };
  visit(folder);
  return found;
}

/**
 * The conversions `inputs` (files and folders) ask for: a folder's archives keep their path below the
 * folder in `outputDir`, a file given by name goes to `outputDir/<name>.onnx`. A path that does not
 * exist is kept, so its conversion fails with INPUT_NOT_FOUND in its own row.
 */
export function planBatch(inputs: readonly string[], outputDir: string): BatchItem[] {
  const items: BatchItem[] = [];
  const onnxName = (path: string) => `${path.slice(0, path.length - extname(path).length)}.onnx`;
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) {
      for (const archive of archivesIn(input)) items.push({ input: archive, output: join(outputDir, onnxName(relative(input, archive))) });
    } else {
      items.push({ input, output: join(outputDir, onnxName(basename(input))) });
    }
  }
  const seen = new Map<string, string>();
  for (const item of items) {
    const earlier = seen.get(item.output);
    if (earlier !== undefined) fail('OPTION_INVALID', `${earlier} and ${item.input} would both be written to ${item.output}`);
    seen.set(item.output, item.input);
  }
  return items;
}

export interface BatchOptions {
  /** Conversions running at once, each in its own worker thread. */
  jobs: number;
  /** Called as each conversion ends, in the order they end. */
  onResult?: (result: BatchResult, done: number, total: number) => void;
}

/** A file's size, 0 when it cannot be read (its conversion then reports why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Runs the conversions (`options[i]` for `items[i]`) on `jobs` worker threads; results come back in the items' order. */
export async function convertBatch(
  items: readonly BatchItem[],
  options: ReadonlyArray<Omit<ConvertOptions, 'onStage'>>,
  batch: BatchOptions,
): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(items.length);
  // Largest archives first, so a long conversion does not start last and leave the other workers idle.
  const sizes = items.map((item) => fileSize(item.input));
  const order = items.map((_, index) => index).sort((a, b) => sizes[b] - sizes[a] || a - b);
  let next = 0;
  let done = 0;
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL('./batch-worker.js', import.meta.url));
      const send = () => {
        if (next >= items.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        const index = order[next++];
        worker.postMessage({ index, item: items[index], options: options[index] });
      };
      worker.on('message', (message: { index: number; result: BatchResult }) => {
        results[message.index] = message.result;
        batch.onResult?.(message.result, ++done, items.length);
        send();
      });
      worker.on('error', (e) => reject(e));
      send();
    });
  const jobs = Math.min(batch.jobs, items.length);
  await Promise.all(Array.from({ length: jobs }, runWorker));
  return results;
}
