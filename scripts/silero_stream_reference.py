"""What PyTorch gives for silero v3.1 (../shared/corpus/rw_silero_v3_1) called on 10 consecutive chunks.

The model keeps its LSTM state and the last sample rate and batch size between calls; this records, for
16 kHz and for 8 kHz, one freshly loaded module called on chunk after chunk of 1536 samples. The chunks
are computed, not stored: a 100 Hz sawtooth plus noise from a linear congruential generator, with a loudness
per chunk, in float64 rounded once to float32, which test/corpus/streaming.test.ts computes the same way.

Writes test/fixtures/corpus-state/silero_v3_1.json: the signal's parameters and, per PyTorch version
that ran this script, the outputs of each call (the archive itself is third-party and never copied).

Usage (from the project root; each PyTorch adds its own entry):
  python3 scripts/silero_stream_reference.py [archive]
  ../shared/tools/py26 scripts/silero_stream_reference.py tmp/silero_v3_1.pt   # py26 sees only files under the project
"""
import json
import os
import sys

import torch

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(PROJECT_ROOT, 'test', 'fixtures', 'corpus-state', 'silero_v3_1.json')
DEFAULT_ARCHIVE = os.path.join(PROJECT_ROOT, '..', 'shared', 'corpus', 'rw_silero_v3_1', 'model.pt')

SIGNAL = {
    'chunk': 1536,
    'chunks': 10,
    'lcg': {'seed': 12345, 'multiplier': 1103515245, 'increment': 12345, 'modulus': 2 ** 31},
    # Samples per sawtooth period by sample rate: 100 Hz at both.
    'period': {'16000': 160, '8000': 80},
    'loudness': [0.0, 0.05, 0.6, 0.6, 0.6, 0.1, 0.0, 0.5, 0.5, 0.02],
    'mix': {'saw': 0.9, 'noise': 0.1},
    'sample_rates': [16000, 8000],
}


def signal(sr):
    """Chunks of float32 samples at sample rate sr: loudness[k] * (saw * 0.9 + noise * 0.1), with
    saw = (n % period) / (period / 2) - 1 (the rate's period) and noise = s / modulus - 0.5 (s the
    generator's next state); every operation in float64."""
    lcg = SIGNAL['lcg']
    s = lcg['seed']
    period = SIGNAL['period'][str(sr)]
    half = period / 2
    chunks = []
    for k in range(SIGNAL['chunks']):
        samples = []
        for j in range(SIGNAL['chunk']):
            n = k * SIGNAL['chunk'] + j
            s = (s * lcg['multiplier'] + lcg['increment']) % lcg['modulus']
            saw = (n % period) / half - 1.0
            noise = s / lcg['modulus'] - 0.5
            samples.append(SIGNAL['loudness'][k] * (saw * SIGNAL['mix']['saw'] + noise * SIGNAL['mix']['noise']))
        chunks.append(torch.tensor(samples, dtype=torch.float64).to(torch.float32).reshape(1, -1))
    return chunks


def main(archive):
    record = {}
    if os.path.exists(OUT):
        with open(OUT) as f:
            record = json.load(f)
    record['signal'] = SIGNAL
    runs = record.setdefault('torch', {})
    outputs = {}
    with torch.no_grad():
        for sr in SIGNAL['sample_rates']:
            chunks = signal(sr)
            model = torch.jit.load(archive)
            outputs[str(sr)] = [float(model(chunk, sr)[0]) for chunk in chunks]
            # The same chunks each on a fresh module: how much the carried state changes the outputs.
            fresh = [float(torch.jit.load(archive)(chunk, sr)[0]) for chunk in chunks]
            print(f'{sr} Hz: {[round(v, 4) for v in outputs[str(sr)]]}')
            print(f'{sr} Hz without state: {[round(v, 4) for v in fresh]}')
    runs[torch.__version__] = outputs
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(record, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_ARCHIVE)
