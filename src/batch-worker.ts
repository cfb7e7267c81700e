/** A worker thread of `convertBatch` (src/batch.ts): converts the archives it is sent, one at a time. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { BatchItem, BatchResult } from './batch.js';
import { convert, type ConvertOptions } from './convert.js';
import { errorRecord } from './errors.js';

/** One conversion as a batch result: a failure is the result's error, not the worker's. */
async function convertItem(item: BatchItem, options: ConvertOptions): Promise<BatchResult> {
  const start = performance.now();
  try {
    mkdirSync(dirname(item.output), { recursive: true });
    const report = await convert(item.input, item.output, options);
    return { ...item, ok: true, report, seconds: (performance.now() - start) / 1000 };
  } catch (e) {
    return { ...item, ok: false, error: errorRecord(e), seconds: (performance.now() - start) / 1000 };
  }
}

parentPort?.on('message', (message: { index: number; item: BatchItem; options: ConvertOptions }) => {
  void convertItem(message.item, message.options).then((result) => parentPort?.postMessage({ index: message.index, result }));
});
