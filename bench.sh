#!/usr/bin/env bash
# Runs the benchmarks side by side and prints the result table (see docs/benchmarks.md).
#   ./bench.sh                 # everything, 5 repeats (+1 warm-up) each
#   ./bench.sh --quick         # small sizes only, for a smoke run
#   ./bench.sh --only local    # one section; see --help
set -euo pipefail
cd "$(dirname "$0")"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
# The python section's peers (torch.save/load, np.save/load) run in Debian's python3; install them if missing.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
  echo "bench: installing python3-torch and python3-numpy (Debian) for the python section"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy >/dev/null) \
    || echo "bench: could not install them; the python section will say so and skip its peers"
fi
mvn -B -q -pl bench -am package -DskipTests
# ND4J's off-heap memory is freed only when the GC finds its arrays unreachable, and JavaCPP's default limits
# are 4x -Xmx (32 GiB here): without these, the garbage of the dl4j section (GiBs of off-heap per model) filled
# the 24 GiB machine in the async section that follows. Off-heap up to 8 GiB, the process up to 18 GiB.
exec java -Xmx8g -Dorg.bytedeco.javacpp.maxbytes=8G -Dorg.bytedeco.javacpp.maxphysicalbytes=18G \
  -Dorg.bytedeco.javacpp.cachedir="$PWD/target/javacpp-cache" \
  -cp "bench/target/classes:bench/target/lib/*" org.ckpt4j.bench.Bench "$@"
