"""What scripts/bench.mjs compares tsonnx with: torch.onnx.export of a torch.jit.load-ed archive.

Usage: python3 scripts/bench_torch.py model.pt out.onnx 1,3,224,224 [opset, default 17]
Prints a JSON line with the seconds spent importing torch, loading the archive and exporting it, and the
process's peak resident memory (for machines without GNU time).
"""
import json
import resource
import sys
import time

start = time.perf_counter()
import torch  # noqa: E402  (timed: a user of torch.onnx.export pays for it too)

DEFAULT_OPSET = 17  # the highest torch 1.13's exporter knows


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__.strip().splitlines()[2])
    archive, output, shape = sys.argv[1:4]
    opset = int(sys.argv[4]) if len(sys.argv) == 5 else DEFAULT_OPSET
    imported = time.perf_counter()
    model = torch.jit.load(archive).eval()
    loaded = time.perf_counter()
    example = torch.randn([int(d) for d in shape.split(',')])
    with torch.no_grad():
        torch.onnx.export(model, (example,), output, opset_version=opset)
    exported = time.perf_counter()
    print(json.dumps({'torch': torch.__version__, 'opset': opset, 'import_s': imported - start,
                      'load_s': loaded - imported, 'export_s': exported - loaded,
                      'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == '__main__':
    main()
