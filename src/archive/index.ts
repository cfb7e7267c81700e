/** The archive stage: TorchScript archive → module tree, lazy tensor references, code files. */
export { openArchive } from './open.js';
export { tensorBytes, contiguousFileRange, tensorValues, dtypeItemSize } from './tensor-data.js';
export * from './types.js';
