/**
 * The global `Buffer` for the browser bundle (esbuild's `inject`): a few core modules (the zip reader,
 * the protobuf writer) use Node's Buffer API, which the `buffer` package provides in a page.
 */
export { Buffer } from 'buffer';
