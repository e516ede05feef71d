#!/usr/bin/env bash
# Multi-worker exact resume through the command line's launcher, cli/target/ckpt4j/bin/ckpt4j, with the
# multi-worker part (spark/target/ckpt4j-multiworker-<version>.tar.gz) unpacked into it as the README says;
# an embedded local[2] Spark on 127.0.0.1:
#  1. an uninterrupted 2-worker run,
#  2. a 2-worker run in which worker 1 fails before global batch 100 (mid-epoch 3; backups every 10 batches):
#     Spark restarts both workers, which restore the chief's last backup and finish in the same process,
# then checks that both runs end with bit-identical weights (same SHA-256) and that the second took 2 attempts.
# Usage: spark/demo-multiworker.sh [--no-build]   (./demo.sh calls it after building both)
set -euo pipefail
cd "$(dirname "$0")/.."

# The launcher sets OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell (bit-exact numerics) and, for fit --workers
# without --master, SPARK_LOCAL_IP=127.0.0.1, unless they are set. ND4J's natives unpack into the project's cache.
export CKPT4J_JAVACPP_CACHEDIR="$PWD/target/javacpp-cache"
export JAVA_OPTS="${JAVA_OPTS:--Xmx1g}"

if [ "${1:-}" != "--no-build" ]; then
  echo "demo-multiworker: building the distribution and its multi-worker part (mvn -B -q -pl cli,spark -am package -DskipTests)"
  mvn -B -q -pl cli,spark -am package -DskipTests
fi
CKPT4J=cli/target/ckpt4j/bin/ckpt4j
archives=(spark/target/ckpt4j-multiworker-*.tar.gz)
echo "demo-multiworker: tar -xzf ${archives[0]} -C cli/target/ckpt4j   (adds lib/multiworker/)"
rm -rf cli/target/ckpt4j/lib/multiworker
tar -xzf "${archives[0]}" -C cli/target/ckpt4j

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ckpt4j-demo-mw.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FIT=("$CKPT4J" fit)
COMMON=(--workers 2 --epochs 10 --batch-size 8 --seed 42 --save-freq 10)

sha_of() { grep -E '^epochs_run=[0-9]+ weights_sha256=[0-9a-f]{64}$' "$1" | tail -n 1 | sed 's/.*weights_sha256=//'; }

step() { echo; echo "=== $*"; }

step "1. uninterrupted: ${FIT[*]} --backup-dir $WORK/run-a ${COMMON[*]}"
"${FIT[@]}" --backup-dir "$WORK/run-a" "${COMMON[@]}" | tee "$WORK/uninterrupted.log"

step "2. worker 1 fails before global batch 100: ... --backup-dir $WORK/run-b ${COMMON[*]} --fail-worker 1 --fail-at-batch 100"
"${FIT[@]}" --backup-dir "$WORK/run-b" "${COMMON[@]}" --fail-worker 1 --fail-at-batch 100 | tee "$WORK/failed.log"

uninterrupted=$(sha_of "$WORK/uninterrupted.log")
failed=$(sha_of "$WORK/failed.log")
attempts=$(grep -E '^stage_attempts=' "$WORK/failed.log" | sed 's/stage_attempts=//')
echo
echo "uninterrupted 2 workers:              $uninterrupted"
echo "2 workers, worker 1 failed, restarted: $failed (stage attempts: $attempts)"
if [ -z "$uninterrupted" ] || [ "$uninterrupted" != "$failed" ]; then
  echo "demo-multiworker: FAIL - the weights differ"; exit 1
fi
if [ "$attempts" != "2" ]; then
  echo "demo-multiworker: FAIL - expected 2 stage attempts, got '$attempts'"; exit 1
fi
echo "demo-multiworker: OK - the restarted run is bit-identical to the uninterrupted one"
