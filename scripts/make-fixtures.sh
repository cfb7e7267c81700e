#!/usr/bin/env bash
# Regenerates the committed test fixtures (test/fixtures/ops, test/fixtures/models, samples/) with real
# PyTorch 1.13 and 2.6. Safe to rerun: each case folder is rewritten whole.
#
#   bash scripts/make-fixtures.sh            # every case, both PyTorch versions
#   bash scripts/make-fixtures.sh conv2d     # one case (a 'both' op row also takes its _script twin)
#
# PY113 and PY26 override the two interpreters (defaults: /usr/bin/python3 and ../shared/tools/py26).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root" # py26 runs its script in the current folder, which must be under /work
py113=${PY113:-/usr/bin/python3}
py26=${PY26:-$(cd "$root/.." && pwd -P)/shared/tools/py26}

run_all() {
  "$@" scripts/fixtures/ops_cases.py "${names[@]}"
  "$@" scripts/fixtures/models.py "${names[@]}"
  "$@" scripts/fixtures/control_cases.py "${names[@]}"
  "$@" scripts/fixtures/conformance_cases.py "${names[@]}"
  "$@" scripts/fixtures/dynamic_cases.py "${names[@]}"
  "$@" scripts/fixtures/state_cases.py "${names[@]}"
  # Diagnostics cases have no names to choose from: they are rewritten only with the whole set.
  if [ ${#names[@]} -eq 0 ]; then "$@" scripts/fixtures/diagnostics_cases.py; fi
}

names=("$@")
echo "== torch 1.13 ($py113)"
run_all "$py113"

status=0
if [ -x "$py26" ] && "$py26" -c 'import torch' 2>/dev/null; then
  echo "== torch 2.6 ($py26)"
  run_all "$py26"
else
  echo "make-fixtures: torch 2.6 is not available ($py26): torch26 folders and samples/ were not regenerated" >&2
  status=1
fi

for name in "${names[@]}"; do
  if ! compgen -G "test/fixtures/*/$name" >/dev/null; then
    echo "make-fixtures: no case is named '$name'" >&2
    status=1
  fi
done

echo "== committed fixture size"
for dir in test/fixtures/ops test/fixtures/models samples; do
  find "$dir" -type f -printf '%s\n' | awk -v dir="$dir" '{ bytes += $1 } END { printf "%-22s %9d bytes\n", dir, bytes }'
done
exit $status
