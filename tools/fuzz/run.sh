#!/usr/bin/env bash
# Fuzzes every fuzz target of the module (or of the packages given) for a while each.
#
#   tools/fuzz/run.sh                 # every target, 30s each
#   tools/fuzz/run.sh 5m ./pkg/vcld   # the targets of pkg/vcld, 5 minutes each
#
# `go test ./...` runs only the seed corpora; this is the long run. A failing input is
# written under the package's testdata/fuzz/<Target>/ by the go command: commit it as a
# regression seed with the fix. Exits non-zero when a target fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime="${1:-30s}"
shift || true
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
failed=0
for pkg in $(go list "${pkgs[@]}"); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"; then
      echo "FAILED: $pkg $target"
      failed=1
    fi
  done
done
exit "$failed"
