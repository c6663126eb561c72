#!/usr/bin/env bash
# The scheduler test runs a single-node Slurm (Debian's slurm-wlm and munge); install them when missing.
# Not fatal, and never asks for a password: the test starts the Slurm daemons as root, so only a run as
# root installs them; otherwise (or when the install fails) that one test is skipped and says why.
set -uo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Slurm not found, and the real-Slurm test (which runs its daemons as root) is skipped when not root: run npm test as root to have it install slurm-wlm and munge" >&2
  exit 0
fi
echo "Slurm not found: installing Debian's slurm-wlm and munge packages" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; }; then
  echo "could not install slurm-wlm and munge (apt-get install slurm-wlm munge failed): the real-Slurm test will be skipped" >&2
fi
exit 0
