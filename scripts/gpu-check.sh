#!/usr/bin/env bash
# GPU verification on a machine with an NVIDIA driver and CUDA but no .NET: unpacks the portable bundle
# (./build.sh portable), then runs the whole test suite (GPU tests included), `info`, greedy `run` on the tiny F16
# model with --device cuda and --device cpu (the texts must be identical), and `bench` on the GPU.
# Results go to $OUT (default /tmp/gpu-out): gpu.txt, tests.log, run.txt, bench.csv/json/png, summary.txt.
#   usage: scripts/gpu-check.sh [BUNDLE_TARBALL] [bench flags...]
set -u
bundle=${1:-dist/minerva-native-linux-x64.tar.gz}; shift || true
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
work=$(mktemp -d); tar -xzf "$bundle" -C "$work"; cd "$work"/minerva-native-linux-x64 || exit 1
summary="$OUT/summary.txt"; : > "$summary"
say() { echo "$*" | tee -a "$summary"; }

# cuBLAS: the CUDA install, the system, or Python's nvidia wheels.
if [ -z "${MINERVA_CUBLAS:-}" ]; then
  lib=$(timeout 60 find /usr/local /usr/lib /usr/lib64 /opt /root /usr/local/lib/python3* -name 'libcublas.so.1[0-9]*' 2>/dev/null | sort -r | head -1)
  [ -n "$lib" ] && export MINERVA_CUBLAS="$lib" && export LD_LIBRARY_PATH="$(dirname "$lib"):${LD_LIBRARY_PATH:-}"
fi
say "date: $(date -u +%FT%TZ)  cublas: ${MINERVA_CUBLAS:-system}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$summary"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"

./Minerva.Native.Tests --results-directory /tmp/tr > "$OUT/tests.log" 2>&1
say "tests: $(grep -E '^\s+(total|failed|succeeded|skipped):' "$OUT/tests.log" | xargs)"
grep -E '^failed ' "$OUT/tests.log" | head -40 | sed 's/^/  /' | tee -a "$summary"

./minerva-native make-model --preset tiny --format gguf --type f16 -o /tmp/tiny-f16.gguf > /dev/null 2>&1
./minerva-native info /tmp/tiny-f16.gguf > "$OUT/run.txt" 2>&1
for d in cuda cpu; do
  echo "== run --device $d" >> "$OUT/run.txt"
  ./minerva-native run -m /tmp/tiny-f16.gguf -p "Once upon a time" -n 48 --temp 0 --ignore-eos --device $d > /tmp/run-$d.txt 2>> "$OUT/run.txt"
  cat /tmp/run-$d.txt >> "$OUT/run.txt"
done
if cmp -s /tmp/run-cuda.txt /tmp/run-cpu.txt; then say "greedy cuda == cpu (tiny F16, 48 tokens): identical"; else say "greedy cuda != cpu: see run.txt"; fi
grep -h "generation:" "$OUT/run.txt" | sed 's/^/  /' | tee -a "$summary"

./minerva-native bench --csv "$OUT/bench.csv" --json "$@" > "$OUT/bench.log" 2>&1
say "bench exit: $?"
tail -40 "$OUT/bench.log" | tee -a "$summary"

# Where the decode time goes: per-kernel GPU time (CUDA events, eager launches) for 64 greedy tokens of each bench model.
for m in models/synthetic-tinyllama-1.1b-Q4_K_M.gguf models/synthetic-tinyllama-1.1b-BF16; do
  [ -e "$m" ] || continue
  echo "== profile $m" >> "$OUT/profile.txt"
  MINERVA_CUDA_PROFILE=1 ./minerva-native run -m "$m" -p "Once upon a time" -n 64 --temp 0 --ignore-eos --device cuda > /dev/null 2>> "$OUT/profile.txt"
done
head -30 "$OUT/profile.txt" | tee -a "$summary"
