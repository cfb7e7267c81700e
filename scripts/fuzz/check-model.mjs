/**
 * Loads ONNX files in onnxruntime-node on request (a child of the fuzzer, so a runtime crash on a bad
 * model is reported as that case's failure instead of ending the run). Message in: { id, path };
 * message out: { id, error } with error undefined when the model loads.
 */
import ort from 'onnxruntime-node';

process.on('message', async ({ id, path }) => {
  try {
    const session = await ort.InferenceSession.create(path);
    await session.release?.();
    process.send({ id });
  } catch (error) {
    process.send({ id, error: String(error?.message ?? error).split('\n')[0] });
  }
});
