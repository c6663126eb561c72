#!/usr/bin/env bash
# Usage: submit.sh <input.ome.zarr> <output.ome.zarr> <model-dir> [shards=8]
# Queues the shards as one job array and finalize to run once all of them have succeeded.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export INPUT="$(realpath "$1")" OUTPUT="$(realpath -m "$2")" MODEL="$(realpath "$3")"
shards="${4:-8}"
export NG_ISOTROPIC_DIR="${NG_ISOTROPIC_DIR:-$(realpath "$here/../../..")}"
array=$(sbatch --parsable --array="0-$((shards - 1))" --export=ALL "$here/reconstruct.sbatch")
sbatch --parsable --dependency="afterok:${array}" --kill-on-invalid-dep=yes --export=ALL "$here/finalize.sbatch"
echo "shards: job array ${array} (${shards} tasks); finalize queued after it" >&2
