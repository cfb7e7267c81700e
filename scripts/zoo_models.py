"""Makes the model zoo: torchvision classifiers traced, saved and reloaded, with PyTorch's outputs.

Writes zoo-work/<torch tag>/<model>/ (git-ignored; the archives are large) in the layout of the test
fixtures: model.pt, case.json, in0.bin and out0.bin. A folder whose case.json lists files that all exist
is complete and is skipped; a model that fails leaves error.txt (its message) instead of case.json.
Runs under PyTorch 1.13 and 2.6 alike.

Usage: python3 scripts/zoo_models.py [--models resnet18,vgg11_bn]
"""
import argparse
import json
import os
import shutil
import sys
import time
import traceback

import torch
import torch.nn as nn
import torchvision.models as tvm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures'))
from common import (DTYPES_BY_NAME, PROJECT_ROOT, TENSOR_SPEC, arg_spec, array_entry, clone_args,  # noqa: E402
                    compile_module, example_inputs, flatten_outputs, randomize_norm, tensor_bytes, torch_tag)

ZOO_ROOT = os.path.join(PROJECT_ROOT, 'zoo-work')
SOURCE = 'tsonnx scripts/zoo_models.py'
OPSETS = [11, 17]
IMAGE = 'float32[1,3,224,224]'

# (name, extra constructor arguments, input spec)
MODELS = [
    ('resnet18', {}, IMAGE),
    ('resnet50', {}, IMAGE),
    ('resnext50_32x4d', {}, IMAGE),
    ('mobilenet_v2', {}, IMAGE),
    ('mobilenet_v3_small', {}, IMAGE),
    ('efficientnet_b0', {}, IMAGE),
    ('densenet121', {}, IMAGE),
    ('squeezenet1_1', {}, IMAGE),
    ('shufflenet_v2_x0_5', {}, IMAGE),
    ('regnet_y_400mf', {}, IMAGE),
    ('mnasnet0_5', {}, IMAGE),
    ('alexnet', {}, IMAGE),
    # Without aux heads eval-mode forward returns one tensor rather than a namedtuple; init_weights=True
    # only silences torchvision's warning about the default changing.
    ('googlenet', {'aux_logits': False, 'init_weights': True}, IMAGE),
    ('inception_v3', {'aux_logits': False, 'init_weights': True}, 'float32[1,3,299,299]'),
    ('convnext_tiny', {}, IMAGE),
    ('vgg11_bn', {}, IMAGE),
]


CALIBRATION_BATCH = 2


def calibrate_norm(model, spec):
    """Sets every BatchNorm's running statistics to those of a random batch, as training would.

    Untrained weights with fresh statistics (mean 0, variance 1) let activations grow or vanish layer
    after layer (inception_v3 outputs ~1e14), which makes a relative tolerance meaningless; calibrated
    statistics keep outputs near unit scale, and being non-trivial they still catch a converter that
    drops BatchNorm or swaps mean and variance.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return model
    match = TENSOR_SPEC.match(spec)
    shape = [CALIBRATION_BATCH] + [int(d) for d in match.group(2).split(',')[1:]]
    batch = torch.randn(shape, generator=torch.Generator().manual_seed(1)).to(DTYPES_BY_NAME[match.group(1)])
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: after one batch, exactly that batch's statistics
    torch.manual_seed(1)  # dropout and stochastic depth draw in training mode
    model.train()
    with torch.no_grad():
        model(batch)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return model


def build(name, extra, spec):
    """The untrained model, its weights drawn after torch.manual_seed(0), its norm layers made non-trivial."""
    factory = getattr(tvm, name)
    torch.manual_seed(0)
    try:
        model = factory(weights=None, **extra)
    except TypeError as error:  # torchvision before 0.13 has no weights= argument
        if 'weights' not in str(error):
            raise
        torch.manual_seed(0)
        model = factory(pretrained=False, **extra)
    # Random affine weights (randomize_norm's statistics are then replaced by calibrated ones).
    return calibrate_norm(randomize_norm(model), spec).eval()


def is_complete(case_dir):
    path = os.path.join(case_dir, 'case.json')
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        record = json.load(f)
    files = ['model.pt'] + [entry['file'] for entry in record['inputs'] + record['outputs']]
    return all(os.path.isfile(os.path.join(case_dir, file)) for file in files)


def write_bytes(path, tensor):
    with open(path, 'wb') as f:
        f.write(tensor_bytes(tensor))


def make_case(case_dir, name, extra, spec):
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(case_dir)
    model = build(name, extra, spec)
    args = tuple(example_inputs(name, [spec]))
    archive = os.path.join(case_dir, 'model.pt')
    with torch.no_grad():
        torch.jit.save(compile_module(model, args, 'trace'), archive)
        loaded = torch.jit.load(archive)
        outputs, output_names = flatten_outputs(loaded(*clone_args(args)))

    inputs = []
    for index, value in enumerate(args):
        file = f'in{index}.bin'
        write_bytes(os.path.join(case_dir, file), value)
        inputs.append({'index': index, **array_entry(value, file)})
    output_entries = []
    for index, value in enumerate(outputs):
        file = f'out{index}.bin'
        write_bytes(os.path.join(case_dir, file), value)
        output_entries.append(array_entry(value, file))
    record = {
        'name': name,
        'source': SOURCE,
        'torch': torch.__version__,
        'mode': 'trace',
        'args': [arg_spec(a) for a in args],
        'inputs': inputs,
        'outputs': output_entries,
        'checksum': sum(float(a.double().sum()) for a in args),
        'opsets': OPSETS,
        'description': f'torchvision {name}: untrained (seed 0), random norm affine weights, calibrated BatchNorm statistics',
    }
    if output_names is not None:
        record['output_names'] = output_names
    # case.json last, through a rename: its presence is what marks the folder complete.
    partial = os.path.join(case_dir, 'case.json.partial')
    with open(partial, 'w') as f:
        json.dump(record, f, indent=1)
        f.write('\n')
    os.replace(partial, os.path.join(case_dir, 'case.json'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', help='comma-separated model names (default: all)')
    options = parser.parse_args()
    known = [name for name, *_ in MODELS]
    wanted = [m.strip() for m in options.models.split(',') if m.strip()] if options.models else known
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise SystemExit(f'zoo_models: unknown model(s) {", ".join(unknown)}; known: {", ".join(known)}')

    tag = torch_tag()
    failed = 0
    for name, extra, spec in MODELS:
        if name not in wanted:
            continue
        case_dir = os.path.join(ZOO_ROOT, tag, name)
        rel = os.path.relpath(case_dir, PROJECT_ROOT)
        if is_complete(case_dir):
            print(f'{rel:40s} complete, skipped', flush=True)
            continue
        start = time.perf_counter()
        try:
            make_case(case_dir, name, extra, spec)
        except Exception as error:  # one model's failure must not stop the rest
            failed += 1
            message = f'{type(error).__name__}: {error}'
            with open(os.path.join(case_dir, 'error.txt'), 'w') as f:
                f.write(message + '\n\n' + traceback.format_exc())
            print(f'{rel:40s} FAILED: {message.splitlines()[0] if message else ""}', flush=True)
            continue
        size = os.path.getsize(os.path.join(case_dir, 'model.pt')) / 1e6
        print(f'{rel:40s} {size:7.1f} MB  {time.perf_counter() - start:5.1f} s', flush=True)
    print(f'zoo_models: torch {torch.__version__}, {len(wanted) - failed} of {len(wanted)} models ready', flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
