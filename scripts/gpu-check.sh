#!/usr/bin/env bash
# GPU verification on a machine with an NVIDIA driver and CUDA but no .NET, from the repository root: takes the portable
# bundle (./build.sh portable: the folder dist/minerva-native-linux-x64/ or its tarball), prints the GPU, runs the whole
# test suite (the Gpu category included), greedy `run` on the tiny F16 model with --device cuda and --device cpu (the
# texts must be identical), a quick `bench` on the GPU and, when bench flags are given, that bench too.
# Everything goes to $OUT (default /tmp/gpu-out) as it is produced: gpu.txt, tests.log, tests-summary.txt, run.txt,
# bench-quick.*, bench.* (with flags), profile.txt, summary.txt. A failing step is recorded and the next one still runs.
#   usage: OUT=/path scripts/gpu-check.sh [BUNDLE_DIR | BUNDLE_TARBALL] [bench flags, e.g. --device cuda --runs 3]
#   env:   TEST_TIMEOUT (seconds, default 1800), BENCH_TIMEOUT (seconds, default 900), TEST_FILTER (an NUnit filter,
#          e.g. "TestCategory=Gpu" when the bundle travels without ../shared/testdata)
set -u
bundle=${1:-}; shift || true
if [ -z "$bundle" ]; then
  bundle=dist/minerva-native-linux-x64
  [ -d "$bundle" ] || bundle=dist/minerva-native-linux-x64.tar.gz
fi
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
summary="$OUT/summary.txt"; : > "$summary"
say() { echo "$*" | tee -a "$summary"; }

if [ -d "$bundle" ]; then
  dir=$(cd "$bundle" && pwd)
elif [ -f "$bundle" ]; then
  work=$(mktemp -d); tar -xzf "$bundle" -C "$work" && dir="$work/minerva-native-linux-x64"
else
  say "no bundle at '$bundle' (build it with ./build.sh portable)"; exit 1
fi
cd "$dir" || { say "cannot enter $dir"; exit 1; }
say "bundle: $dir  commit: $(git -C "$OLDPWD" rev-parse --short HEAD 2>/dev/null || echo unknown)"

# cuBLAS: the CUDA install, the system, or Python's nvidia wheels.
if [ -z "${MINERVA_CUBLAS:-}" ]; then
  lib=$(timeout 60 find /usr/local /usr/lib /usr/lib64 /opt /root /usr/local/lib/python3* -name 'libcublas.so.1[0-9]*' 2>/dev/null | sort -r | head -1)
  [ -n "$lib" ] && export MINERVA_CUBLAS="$lib" && export LD_LIBRARY_PATH="$(dirname "$lib"):${LD_LIBRARY_PATH:-}"
fi
say "date: $(date -u +%FT%TZ)  cublas: ${MINERVA_CUBLAS:-system}"
{ nvidia-smi; echo; nvidia-smi -q | head -60; echo; nvcc --version 2>&1 | tail -2; } > "$OUT/gpu.txt" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory,compute_cap --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"
# The PTX travels inside Minerva.Native.dll (one ".target sm_NN" line per file); MINERVA_KERNELS_DIR would replace it.
say "kernels: $(grep -ac '^\.target sm_[0-9]*$' Minerva.Native.dll) PTX files embedded in Minerva.Native.dll${MINERVA_KERNELS_DIR:+ (overridden by MINERVA_KERNELS_DIR=$MINERVA_KERNELS_DIR)}"

# The whole suite, the log written as it runs; the closing counts as build.sh prints them.
timeout "${TEST_TIMEOUT:-1800}" ./Minerva.Native.Tests --results-directory "$OUT/test-results" ${TEST_FILTER:+--filter "$TEST_FILTER"} > "$OUT/tests.log" 2>&1
rc=$?
count() { sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" "$OUT/tests.log" | tail -1; }
{
  if [ -n "$(count total)" ]; then echo "$(count succeeded) passed, $(count failed) failed, $(count skipped) skipped (exit $rc)"
  else echo "no test summary (exit $rc$([ $rc = 124 ] && echo ': timed out after '"${TEST_TIMEOUT:-1800}"' s'))"; fi
  grep -E '^(failed|skipped) ' "$OUT/tests.log"
} > "$OUT/tests-summary.txt"
say "tests: $(head -1 "$OUT/tests-summary.txt")"
grep -E '^failed ' "$OUT/tests.log" | head -40 | sed 's/^/  /' | tee -a "$summary"
grep -hE 'max \|gpu − cpu\|' "$OUT/tests.log" | sort -u | sed 's/^ *//; s/^/  /' >> "$summary"

./minerva-native make-model --preset tiny --format gguf --type f16 -o /tmp/tiny-f16.gguf > /dev/null 2>&1
./minerva-native info /tmp/tiny-f16.gguf > "$OUT/run.txt" 2>&1
for d in cuda cpu; do
  echo "== run --device $d" >> "$OUT/run.txt"
  timeout 300 ./minerva-native run -m /tmp/tiny-f16.gguf -p "Once upon a time" -n 48 --temp 0 --ignore-eos --device $d > /tmp/run-$d.txt 2>> "$OUT/run.txt"
  cat /tmp/run-$d.txt >> "$OUT/run.txt"
done
if [ -s /tmp/run-cuda.txt ] && cmp -s /tmp/run-cuda.txt /tmp/run-cpu.txt; then say "greedy cuda == cpu (tiny F16, 48 tokens): identical"; else say "greedy cuda != cpu (or a run failed): see run.txt"; fi
grep -h "generation:" "$OUT/run.txt" | sed 's/^/  /' | tee -a "$summary"

# A short bench on the GPU (tiny model, one scenario, one run), then the bench the flags ask for.
timeout "${BENCH_TIMEOUT:-900}" ./minerva-native bench --device cuda --quick --csv "$OUT/bench-quick.csv" > "$OUT/bench-quick.log" 2>&1
say "bench --quick exit: $?"
tail -15 "$OUT/bench-quick.log" | tee -a "$summary"
if [ $# -gt 0 ]; then
  timeout "${BENCH_TIMEOUT:-900}" ./minerva-native bench --csv "$OUT/bench.csv" --json "$@" > "$OUT/bench.log" 2>&1
  say "bench $* exit: $?"
  tail -40 "$OUT/bench.log" | tee -a "$summary"
fi

# Where the decode time goes: per-kernel GPU time (CUDA events, eager launches) for 64 greedy tokens of each bench model.
for m in models/synthetic-tinyllama-1.1b-Q4_K_M.gguf models/synthetic-tinyllama-1.1b-BF16; do
  [ -e "$m" ] || continue
  echo "== profile $m" >> "$OUT/profile.txt"
  MINERVA_CUDA_PROFILE=1 timeout 300 ./minerva-native run -m "$m" -p "Once upon a time" -n 64 --temp 0 --ignore-eos --device cuda > /dev/null 2>> "$OUT/profile.txt"
done
[ -f "$OUT/profile.txt" ] && head -30 "$OUT/profile.txt" | tee -a "$summary"
say "done: $(date -u +%FT%TZ)"
