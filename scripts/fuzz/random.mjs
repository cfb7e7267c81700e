/** A seeded generator, so every fuzz case is a pure function of (run seed, case number) and can be replayed. */

/** splitmix32: small, fast, and good enough to spread nearby seeds apart. */
function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The seed of case `index` in a run seeded with `runSeed`. */
export function caseSeed(runSeed, index) {
  return splitmix32((runSeed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2f))();
}

export class Random {
  constructor(seed) {
    this.next = splitmix32(seed);
  }

  /** An integer in [0, n). */
  int(n) {
    return n <= 0 ? 0 : this.next() % n;
  }

  /** An integer in [lo, hi]. */
  between(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.next() / 2 ** 32 < p;
  }

  pick(items) {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  /** One of `[weight, value]` pairs, in proportion to the weights. */
  weighted(pairs) {
    const total = pairs.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.int(total);
    for (const [weight, value] of pairs) {
      if (roll < weight) return value;
      roll -= weight;
    }
    return pairs.at(-1)[1];
  }
}
