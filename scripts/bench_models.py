"""Makes the models only `npm run bench` uses, on demand, in the zoo's case layout
(zoo-work/<torch tag>/<case>/: model.pt, case.json, in0.bin, out0.bin):

  mlp_2g         traced 2-layer MLP of 16384x16384 float32 weights: a 2.15 GB archive, whose ONNX
                 model needs external data
  deep_mlp_10k   scripted 500 Linear(8, 8) + ReLU layers, run 10 times over: 10,000 ONNX nodes
  deep_mlp_100k  the same with 5,000 layers: 100,000 ONNX nodes, 10 times the modules, parameters
                 and code (more layers than 5,000 take PyTorch minutes to script or trace)

Usage: python3 scripts/bench_models.py [--models mlp_2g,deep_mlp_10k]
A folder whose case.json lists files that all exist is complete and is skipped.
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch
import torch.nn as nn
from torch import Tensor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures'))
from common import PROJECT_ROOT, array_entry, tensor_bytes, torch_tag  # noqa: E402
from zoo_models import is_complete  # noqa: E402  (the bench's cases are laid out as the zoo's)

SOURCE = 'tsonnx scripts/bench_models.py'
# 2 x 16384^2 float32 weights = 2,147,483,648 bytes: past protobuf's 2 GiB, so the model needs external data.
WIDE = 16384
NARROW = 8
REPEATS = 10


class WideMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(WIDE, WIDE)
        self.fc2 = nn.Linear(WIDE, WIDE)

    def forward(self, x: Tensor):
        return self.fc2(torch.relu(self.fc1(x)))


class DeepMlp(nn.Module):
    repeats: torch.jit.Final[int]

    def __init__(self, depth: int):
        super().__init__()
        self.repeats = REPEATS
        self.layers = nn.ModuleList([nn.Linear(NARROW, NARROW) for _ in range(depth)])

    def forward(self, x: Tensor):
        for _ in range(self.repeats):
            for layer in self.layers:
                x = torch.relu(layer(x))
        return x


def wide_mlp():
    # Linear's default initialisation of 2^28 weights takes a minute; a uniform fill in the same range is quick.
    model = nn.Module.__new__(WideMlp)
    nn.Module.__init__(model)
    bound = 1 / WIDE ** 0.5
    for name in ('fc1', 'fc2'):
        layer = nn.Linear(1, 1)
        layer.in_features = layer.out_features = WIDE
        layer.weight = nn.Parameter(torch.empty(WIDE, WIDE).uniform_(-bound, bound))
        layer.bias = nn.Parameter(torch.empty(WIDE).uniform_(-bound, bound))
        setattr(model, name, layer)
    return model


# name: (build, mode, input shape, description)
CASES = {
    'mlp_2g': (wide_mlp, 'trace', [1, WIDE], f'traced 2-layer MLP, Linear({WIDE}, {WIDE}) twice, float32: a 2.15 GB archive'),
    'deep_mlp_10k': (lambda: DeepMlp(500), 'script', [1, NARROW], 'scripted 500 x (Linear(8, 8), ReLU), 10 times over: 10,000 ONNX nodes'),
    'deep_mlp_100k': (lambda: DeepMlp(5_000), 'script', [1, NARROW], 'scripted 5,000 x (Linear(8, 8), ReLU), 10 times over: 100,000 ONNX nodes'),
}


def make_case(case_dir, name):
    build, mode, shape, description = CASES[name]
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(case_dir)
    torch.manual_seed(0)
    with torch.no_grad():
        model = build().eval()
        example = torch.randn(shape)
        compiled = torch.jit.trace(model, (example,), check_trace=False) if mode == 'trace' else torch.jit.script(model)
        archive = os.path.join(case_dir, 'model.pt')
        torch.jit.save(compiled, archive)
        del compiled, model
        output = torch.jit.load(archive)(example)
    for file, tensor in (('in0.bin', example), ('out0.bin', output)):
        with open(os.path.join(case_dir, file), 'wb') as f:
            f.write(tensor_bytes(tensor))
    dims = ','.join(str(d) for d in shape)
    record = {
        'name': name,
        'source': SOURCE,
        'torch': torch.__version__,
        'mode': mode,
        'args': [f'float32[{dims}]'],
        'inputs': [{'index': 0, **array_entry(example, 'in0.bin')}],
        'outputs': [array_entry(output, 'out0.bin')],
        'opsets': [17],
        'description': description,
    }
    # case.json last, through a rename: its presence is what marks the folder complete.
    partial = os.path.join(case_dir, 'case.json.partial')
    with open(partial, 'w') as f:
        json.dump(record, f, indent=1)
        f.write('\n')
    os.replace(partial, os.path.join(case_dir, 'case.json'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', help=f'comma-separated case names (default: all of {", ".join(CASES)})')
    args = parser.parse_args()
    names = args.models.split(',') if args.models else list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f'bench_models: unknown case {", ".join(unknown)}; the cases are {", ".join(CASES)}')
    root = os.path.join(PROJECT_ROOT, 'zoo-work', torch_tag())
    for name in names:
        case_dir = os.path.join(root, name)
        if is_complete(case_dir):
            continue
        start = time.perf_counter()
        make_case(case_dir, name)
        print(f'bench_models: {name} in {time.perf_counter() - start:.1f} s', file=sys.stderr)


if __name__ == '__main__':
    main()
