#!/usr/bin/env bash
# Runs the sharded reconstruction, then finalize, on the current kubectl context.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kubectl apply -f "$here/reconstruct-job.yaml"
# Completes when every index has succeeded; a shard that exhausts its retries fails the Job instead.
kubectl wait --for=condition=complete job/ng-isotropic-reconstruct --timeout=48h
kubectl apply -f "$here/finalize-job.yaml"
kubectl wait --for=condition=complete job/ng-isotropic-finalize --timeout=6h
kubectl logs job/ng-isotropic-finalize
