#!/usr/bin/env bash
# The main job: exact resume end to end with the command line's distribution (cli/target/ckpt4j/bin/ckpt4j).
#  1. a run interrupted at the start of epoch 4 (a simulated crash: exits non-zero),
#  2. the same command again, which resumes from the backup and trains epochs 4..9 only,
#  3. an uninterrupted run in a separate backup dir,
#  4. a run interrupted mid-epoch (before global batch 100, backups every 10 batches) and its resume, which
#     continues at the next batch instead of replaying the epoch,
# then checks that every resumed run's final weights are bit-identical (same SHA-256) to the uninterrupted run's;
#  5. multi-worker (spark/demo-multiworker.sh): bin/ckpt4j fit --workers 2 with the multi-worker part unpacked
#     into the distribution; two workers on an embedded Spark, one fails mid-epoch, the group restarts from the
#     chief's backup and ends bit-identical to an uninterrupted 2-worker run.
set -euo pipefail
cd "$(dirname "$0")"

# Bit-exact numerics: the launcher sets OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell unless they are set.
# ND4J's natives unpack into the project's cache, shared with the tests.
export CKPT4J_JAVACPP_CACHEDIR="$PWD/target/javacpp-cache"

CKPT4J=cli/target/ckpt4j/bin/ckpt4j
echo "demo: building $CKPT4J and its multi-worker part (mvn -B -q -pl cli,spark -am package -DskipTests)"
mvn -B -q -pl cli,spark -am package -DskipTests

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ckpt4j-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FIT=("$CKPT4J" fit)
COMMON=(--epochs 10 --batch-size 8 --seed 42)

hash_of() { grep -E '^epochs_run=[0-9]+ weights_sha256=[0-9a-f]{64}$' "$1" | tail -n 1; }

step() { echo; echo "=== $*"; }

step "1. interrupted run: ${FIT[*]} --backup-dir $WORK/run-a ${COMMON[*]} --interrupt-at-epoch 4"
set +e
"${FIT[@]}" --backup-dir "$WORK/run-a" "${COMMON[@]}" --interrupt-at-epoch 4
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
  echo "demo: FAIL - the interrupted run exited 0"; exit 1
fi
echo "(exit code $rc, as expected for an interrupted run)"

step "2. resumed run: the same command without --interrupt-at-epoch"
"${FIT[@]}" --backup-dir "$WORK/run-a" "${COMMON[@]}" | tee "$WORK/resumed.log"

step "3. uninterrupted run in a separate backup dir"
"${FIT[@]}" --backup-dir "$WORK/run-b" "${COMMON[@]}" --quiet | tee "$WORK/uninterrupted.log"

step "4. mid-epoch: interrupted before global batch 100 with a backup every 10 batches, then resumed"
set +e
"${FIT[@]}" --backup-dir "$WORK/run-c" "${COMMON[@]}" --save-freq 10 --interrupt-at-batch 100 --quiet
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
  echo "demo: FAIL - the interrupted run exited 0"; exit 1
fi
"${FIT[@]}" --backup-dir "$WORK/run-c" "${COMMON[@]}" --save-freq 10 | tee "$WORK/midepoch.log"

resumed=$(hash_of "$WORK/resumed.log")
uninterrupted=$(hash_of "$WORK/uninterrupted.log")
midepoch=$(hash_of "$WORK/midepoch.log")
echo
echo "resumed (epoch 4):      $resumed"
echo "resumed (mid-epoch):    $midepoch"
echo "uninterrupted:          $uninterrupted"
if [ "$resumed" != "epochs_run=6 ${uninterrupted#epochs_run=10 }" ]; then
  echo "demo: FAIL - the resumed run did not run 6 epochs to the uninterrupted run's weights"; exit 1
fi
if [ -z "$uninterrupted" ] || [ "${resumed#* }" != "${uninterrupted#* }" ] || [ "${midepoch#* }" != "${uninterrupted#* }" ]; then
  echo "demo: FAIL - final weights differ"; exit 1
fi
echo "demo: OK - resumed and uninterrupted weights are bit-identical (equal SHA-256)"

step "5. multi-worker: 2 workers on an embedded Spark, worker 1 fails mid-epoch, the group restarts and resumes"
spark/demo-multiworker.sh --no-build
