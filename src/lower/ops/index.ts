/** Loads every op family into the registry. Adding a family file means adding one import here. */
import './activation.js';
import './elementwise.js';
import './reduce.js';
import './conv.js';
import './pool.js';
import './norm.js';
import './linear.js';
import './shape.js';
import './index-ops.js';
import './creation.js';
import './inplace.js';
import './attention.js';
import './rnn.js';
import './quantized.js';
import './pad.js';
import './spectral.js';
import './cast.js';
