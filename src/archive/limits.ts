/**
 * Budgets for untrusted archives. Every size an archive declares is checked against these before
 * anything is allocated, read or inflated; each is far above what torch.jit.save writes for real
 * models, so only damaged or hostile archives meet them (ARCHIVE_LIMIT).
 */

const MiB = 2 ** 20;

/**
 * Zip entries in one archive. A TorchScript archive holds one record per tensor storage and two per
 * code file: tens of thousands for the largest models. A million keeps the directory under ~100 MB.
 */
export const MAX_ZIP_ENTRIES = 1_000_000;

/** Bytes of the zip central directory: a million entries with 50-byte names and ZIP64 fields. */
export const MAX_CENTRAL_DIRECTORY_BYTES = 128 * MiB;

/**
 * One code file's text. The printer writes one statement per graph node, so even models with
 * hundreds of thousands of nodes print a few MB per file; the lexer keeps a token per word, so the
 * budget also bounds the parser's memory.
 */
export const MAX_CODE_FILE_BYTES = 64 * MiB;

/**
 * One pickle (`data.pkl`, `constants.pkl`, `traced_inputs.pkl`, `.debug_pkl`). Pickles hold the
 * module tree and small Python values, never tensor data (that lives in storage records): real
 * ones are a few MB, `.debug_pkl` records of very large models some tens of MB.
 */
export const MAX_PICKLE_BYTES = 256 * MiB;

/**
 * Stack entries, marks and memo slots one pickle may create. One-byte opcodes (EMPTY_TUPLE, DUP,
 * MEMOIZE) each make an object of ~50–100 bytes, so the byte budget alone would allow gigabytes of
 * heap; ten million keeps the unpickler near 1 GB, and stays below V8's Map size limit (2^24) for
 * the memo. Real pickles create about one value per five bytes.
 */
export const MAX_PICKLE_ITEMS = 10_000_000;

/**
 * Nesting of lists, tuples, dicts and objects in a pickled value. Later stages walk values
 * recursively; module trees are a few tens of levels deep.
 */
export const MAX_PICKLE_DEPTH = 1000;

/**
 * Bytes a tensor view may materialise beyond its storage's own size: a view that repeats elements
 * (zero or overlapping strides, e.g. `expand`) becomes a contiguous initializer that big.
 */
export const MAX_REPEATED_VIEW_BYTES = 1024 * MiB;

/**
 * Dims of one tensor. PyTorch's dim handling (`dim_list_to_bitset`) stops at 64, and a tensor of
 * thousands of size-1 dims only makes every later stage and the runtime slow.
 */
export const MAX_TENSOR_RANK = 64;

/** Most output one byte of deflate data can produce: a 258-byte match coded in two bits. */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * Most deflate data that can encode `size` bytes: zlib's deflateBound is size + size/4096 +
 * size/16384 + a few bytes; this allows four times that overhead.
 */
export function maxDeflatedSize(size: number): number {
  return size + Math.ceil(size / 1024) + 1024;
}
