/**
 * Raw deflate for the page, where Node's zlib is missing and the browser's own DecompressionStream is
 * asynchronous while the pipeline reads entries synchronously: fflate, inflating into a buffer one
 * byte longer than the zip directory declares, so a stream that produces more is caught as Node's
 * zlib catches it with `maxOutputLength` (an error with code ERR_BUFFER_TOO_LARGE).
 */
import { inflateSync } from 'fflate';

export function inflateRawWithin(compressed: Uint8Array, maxOutputLength: number): Uint8Array {
  const out = new Uint8Array(maxOutputLength + 1);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(compressed, { out });
  } catch (error) {
    // fflate copies a stored block past the end of `out` with a RangeError.
    throw error instanceof RangeError ? tooLarge(maxOutputLength) : error;
  }
  if (inflated.byteLength > maxOutputLength) throw tooLarge(maxOutputLength);
  return inflated;
}

function tooLarge(limit: number): Error {
  return Object.assign(new Error(`inflated output exceeds ${limit} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' });
}
