/**
 * Every op family, and the registry built from them. This is the one place that lists the
 * families: adding a family file means adding it here.
 */
import { activationOps } from './families/activation.js';
import { elementwiseOps } from './families/elementwise.js';
import { reduceOps } from './families/reduce.js';
import { convOps } from './families/conv.js';
import { poolOps } from './families/pool.js';
import { normOps } from './families/norm.js';
import { linearOps } from './families/linear.js';
import { linalgOps } from './families/linalg.js';
import { shapeOps } from './families/shape.js';
import { indexOpsOps } from './families/index-ops.js';
import { creationOps } from './families/creation.js';
import { inplaceOps } from './families/inplace.js';
import { attentionOps } from './families/attention.js';
import { rnnOps } from './families/rnn.js';
import { quantizedOps } from './families/quantized.js';
import { staticQuantizedOps } from './families/quantized-static.js';
import { padOps } from './families/pad.js';
import { spectralOps } from './families/spectral.js';
import { castOps } from './families/cast.js';
import { resizeOps } from './families/resize.js';
import { numberOps } from './families/number.js';
import { visionOps } from './families/vision.js';
import { lossOps } from './families/loss.js';
import { specialOps } from './families/special.js';
import { createRegistry, type OpDef, type Registry } from './registry.js';

export const OP_FAMILIES: readonly (readonly OpDef[])[] = [
  activationOps,
  elementwiseOps,
  reduceOps,
  convOps,
  poolOps,
  normOps,
  linearOps,
  linalgOps,
  shapeOps,
  indexOpsOps,
  creationOps,
  inplaceOps,
  attentionOps,
  rnnOps,
  quantizedOps,
  staticQuantizedOps,
  padOps,
  spectralOps,
  castOps,
  resizeOps,
  numberOps,
  visionOps,
  lossOps,
  specialOps,
];

/** The registry of every op tsonnx converts: made once per conversion or inspection and handed to each stage. */
export function createOpRegistry(): Registry {
  return createRegistry(OP_FAMILIES);
}
