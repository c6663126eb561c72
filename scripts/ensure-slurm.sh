#!/usr/bin/env bash
# The scheduler test runs a single-node Slurm (Debian's slurm-wlm and munge); install them when missing.
# Not fatal: without them (no root, no package) the test says Slurm is unavailable and the stubbed
# cluster test still runs.
set -uo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then exit 0; fi
echo "Slurm not found: installing Debian's slurm-wlm and munge packages" >&2
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; }; then
  echo "could not install slurm-wlm and munge: the real-Slurm test will be skipped" >&2
fi
exit 0
