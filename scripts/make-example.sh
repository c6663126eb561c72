#!/usr/bin/env bash
# Rebuilds the bundled example from the FlyEM medulla sample (see examples/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-../shared/data/flyem-medulla-10nm/sample1}"
credit="FlyEM, HHMI Janelia Research Campus (janelia-flyem/neuroproof_examples, training_sample1), CC BY; converted to OME-Zarr"
node bin/ng-isotropic.js convert "$src" examples/medulla-aniso.ome.zarr --voxel-size 10,10,10 --downsample-z 4 --overwrite --attribution "$credit, z-averaged in groups of 4"
node bin/ng-isotropic.js convert "$src" examples/medulla-iso.ome.zarr --voxel-size 10,10,10 --levels 1 --overwrite --attribution "$credit"
