#!/usr/bin/env bash
# Native `terraform test` with mocked AWS providers: no emulator, no network. Runs the stack's tests
# (tests/*.tftest.hcl, in three parts) and the local environment's (environments/local/tests, its
# multi-region and fleet modes applied to the mocks) side by side, each root initialised once; arguments go to
# every `terraform test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for root in . environments/local; do
  (cd "$here/$root" && TF_DATA_DIR="$work/${root//\//_}.data" "$here/tf.sh" init -input=false -backend=false -no-color \
    >"$work/init.log" 2>&1) || { cat "$work/init.log"; exit 1; }
done

# The stack's files, alternately in three runs (terraform test takes its files one after the other).
files=()
while IFS= read -r file; do files+=("$file"); done < <(cd "$here" && ls tests/*.tftest.hcl)
parts=("" "" "")
for i in "${!files[@]}"; do parts[i % 3]+=" -filter=${files[$i]}"; done

names=("stack (1/3)" "stack (2/3)" "stack (3/3)" "environments/local")
dirs=(. . . environments/local)
filters=("${parts[0]}" "${parts[1]}" "${parts[2]}" "")
pids=()
for i in "${!names[@]}"; do
  # shellcheck disable=SC2086 # the filters are words
  (cd "$here/${dirs[$i]}" && TF_DATA_DIR="$work/${dirs[$i]//\//_}.data" "$here/tf.sh" test -no-color ${filters[$i]} "$@") \
    >"$work/$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!names[@]}"; do
  wait "${pids[$i]}" || status=1
  echo "terraform test: ${names[$i]}"
  cat "$work/$i.log"
done
exit $status
