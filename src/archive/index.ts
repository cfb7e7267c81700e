/** The archive stage: TorchScript archive → module tree, lazy tensor references, code files. */
export { openArchive, openFileSource } from './file-source.js';
export { openArchiveSource } from './open.js';
export type { ByteSource } from './byte-source.js';
export { tensorBytes, contiguousFileRange, tensorValues, dtypeItemSize } from './tensor-data.js';
export * from './types.js';
