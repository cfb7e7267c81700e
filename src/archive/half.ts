/** IEEE half and bfloat16 conversions, shared by archive decoding, constant encoding and the writer. */

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** IEEE half bits of a number, rounding to nearest even (through float32, as PyTorch's casts do). */
export function float16Bits(value: number): number {
  float32[0] = value;
  return halfOfFloat32Bits(float32Bits[0]);
}

/** float16Bits of every element of a whole tensor, in one loop over the float32 bit patterns. */
export function float16BitsOf(values: Float32Array | Float64Array): Uint16Array {
  const single = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(single.buffer, single.byteOffset, single.length);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfOfFloat32Bits(bits[i]);
  return out;
}

function halfOfFloat32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const shift = 14 - halfExponent;
    return sign | roundShift(mantissa | 0x800000, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return rest > halfway || (rest === halfway && (kept & 1)) ? kept + 1 : kept;
}

export function bfloat16Value(bits: number): number {
  float32Bits[0] = bits << 16;
  return float32[0];
}

export function bfloat16Bits(value: number): number {
  float32[0] = value;
  const bits = float32Bits[0];
  if (Number.isNaN(value)) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return roundShift(bits, 16) & 0xffff;
}
