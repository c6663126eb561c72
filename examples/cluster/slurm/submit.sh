#!/usr/bin/env bash
# Usage: submit.sh <input> <output.ome.zarr> <model> [shards=8]
# Queues the shards as one job array and finalize to run once all of them have ended. The input and the
# model are local paths (made absolute: the tasks start elsewhere) or http(s)://, gs:// or s3:// URLs
# (passed on as given). Logs go to <output>.logs/ (LOG_DIR to change).
set -euo pipefail
if [[ $# -lt 3 || $# -gt 4 ]]; then
  echo "usage: $0 <input> <output.ome.zarr> <model> [shards=8]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"

# <what> <location>: a URL as given, or the absolute path of an existing file or folder (else a message, and failure).
location() {
  case "$2" in
    *://*) printf '%s\n' "$2" ;;
    *) realpath -e -- "$2" 2>/dev/null || { echo "$0: no $1 at $2" >&2; return 1; } ;;
  esac
}
# Plain assignments, not `export x="$(…)"` (whose status is export's): a failed look-up stops the script here.
input="$(location input "$1")"
model="$(location model "$3")"
output="$(realpath -m -- "$2")"
shards="${4:-8}"
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: the shard count must be a positive integer, got \"$shards\"" >&2
  exit 2
fi
export INPUT="$input" OUTPUT="$output" MODEL="$model" SHARDS="$shards"
export NG_ISOTROPIC_DIR="${NG_ISOTROPIC_DIR:-$(cd "$here/../../.." && pwd)}"
logs="${LOG_DIR:-${OUTPUT%/}.logs}"
mkdir -p "$logs"
array=$(sbatch --parsable --array="0-$((SHARDS - 1))" --export=ALL --output="$logs/reconstruct-%A_%a.log" "$here/reconstruct.sbatch")
# afterany, not afterok: finalize always runs and says what is missing, instead of being dropped by Slurm.
final=$(sbatch --parsable --dependency="afterany:${array}" --export=ALL --output="$logs/finalize-%j.log" "$here/finalize.sbatch")
echo "shards: job array ${array} (${SHARDS} tasks), finalize job ${final} after it; logs in ${logs}/" >&2
echo "progress, or what to rerun after a failure: node ${NG_ISOTROPIC_DIR}/bin/ng-isotropic.js status ${OUTPUT} --shards ${SHARDS}" >&2
echo "${array} ${final}"
