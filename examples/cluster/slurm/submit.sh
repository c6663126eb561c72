#!/usr/bin/env bash
# Usage: submit.sh <input> <output.ome.zarr> <model-dir> [shards=8]
# Queues the shards as one job array and finalize to run once all of them have ended. The input is a
# local path or an http(s)://, gs:// or s3:// URL. Logs go to <output>.logs/ (LOG_DIR to change).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "$1" in *://*) input="$1" ;; *) input="$(realpath "$1")" ;; esac
export INPUT="$input" OUTPUT="$(realpath -m "$2")" MODEL="$(realpath "$3")"
export SHARDS="${4:-8}"
export NG_ISOTROPIC_DIR="${NG_ISOTROPIC_DIR:-$(realpath "$here/../../..")}"
logs="${LOG_DIR:-${OUTPUT%/}.logs}"
mkdir -p "$logs"
array=$(sbatch --parsable --array="0-$((SHARDS - 1))" --export=ALL --output="$logs/reconstruct-%A_%a.log" "$here/reconstruct.sbatch")
# afterany, not afterok: finalize always runs and says what is missing, instead of being dropped by Slurm.
final=$(sbatch --parsable --dependency="afterany:${array}" --export=ALL --output="$logs/finalize-%j.log" "$here/finalize.sbatch")
echo "shards: job array ${array} (${SHARDS} tasks), finalize job ${final} after it; logs in ${logs}/" >&2
echo "progress, or what to rerun after a failure: node ${NG_ISOTROPIC_DIR}/bin/ng-isotropic.js status ${OUTPUT} --shards ${SHARDS}" >&2
echo "${array} ${final}"
