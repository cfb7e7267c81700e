/** A worker thread of `convertBatch`: converts the archives it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { convertItem, type BatchItem } from './batch.js';
import { convert, type ConvertOptions } from './convert.js';

parentPort?.on('message', (message: { index: number; item: BatchItem; options: ConvertOptions }) => {
  void convertItem(message.item, message.options, convert).then((result) => parentPort?.postMessage({ index: message.index, result }));
});
