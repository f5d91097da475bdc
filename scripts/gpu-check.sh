#!/usr/bin/env bash
# GPU verification on a machine with an NVIDIA driver and CUDA but no .NET, from the repository root: takes the portable
# bundle (./build.sh portable: the folder dist/minerva-native-linux-x64/ or its tarball), prints the GPU, runs the whole
# test suite (the Gpu category included), greedy `run` on the tiny F16 model with --device cuda and --device cpu (the
# texts must be identical), a quick `bench` on the GPU and, when bench flags are given, that bench too; then the
# device-to-device copy bandwidth (tools/cuda-selftest/copy_bandwidth.cu, built here with nvcc) and the PyTorch peer
# (tools/torch-peer/decode_bench.py: transformers' eager generate and a static-cache torch.compile decode) on the bench's
# own safetensors folder and prompt ids, alternating with our bench on the same workload, and writes summary.md.
# Everything goes to $OUT (default /tmp/gpu-out) as it is produced: gpu.txt, tests.log, tests-summary.txt, run.txt,
# bench-quick.*, bench.* (with flags), profile.txt, peer/ (copy.txt, ours-*.csv, torch-*.jsonl, logs, commands.txt),
# summary.txt, summary.md. A failing step is recorded and the next one still runs.
#   usage: OUT=/path scripts/gpu-check.sh [BUNDLE_DIR | BUNDLE_TARBALL] [bench flags, e.g. --device cuda --runs 3]
#   env:   TEST_TIMEOUT (seconds, default 1800), BENCH_TIMEOUT (seconds, default 900), TEST_FILTER (an NUnit filter,
#          e.g. "TestCategory=Gpu" when the bundle travels without ../shared/testdata)
#          SKIP: parts to leave out, comma-separated: tests, run, quick, bench, profile, copy, ours, torch, f16, peer
#          (peer = copy, ours, torch and f16). The peer's workload: PEER_PROMPT (default 128), PEER_GEN (128),
#          PEER_RUNS (5, for ours and PyTorch), PEER_MODES (eager,compiled), PEER_F16_MODES (eager; the F16 folder is
#          written and benched too unless SKIP has f16), PEER_TIMEOUT (seconds per PyTorch process, default 480),
#          PYTHON (default python3: the one that has torch and transformers).
#          PACK=1: at the end, everything but summary.md and summary.txt goes into $OUT/files.tar.gz (a device call
#          brings back at most 8 files).
set -u
repo=$(pwd)
skip() { case ",${SKIP:-}," in *",$1,"*) return 0 ;; esac; case "$1" in copy|ours|torch|f16) case ",${SKIP:-}," in *",peer,"*) return 0 ;; esac ;; esac; return 1; }
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
if ! skip tests; then
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
fi

if ! skip run; then
./minerva-native make-model --preset tiny --format gguf --type f16 -o /tmp/tiny-f16.gguf > /dev/null 2>&1
./minerva-native info /tmp/tiny-f16.gguf > "$OUT/run.txt" 2>&1
for d in cuda cpu; do
  echo "== run --device $d" >> "$OUT/run.txt"
  timeout 300 ./minerva-native run -m /tmp/tiny-f16.gguf -p "Once upon a time" -n 48 --temp 0 --ignore-eos --device $d > /tmp/run-$d.txt 2>> "$OUT/run.txt"
  cat /tmp/run-$d.txt >> "$OUT/run.txt"
done
if [ -s /tmp/run-cuda.txt ] && cmp -s /tmp/run-cuda.txt /tmp/run-cpu.txt; then say "greedy cuda == cpu (tiny F16, 48 tokens): identical"; else say "greedy cuda != cpu (or a run failed): see run.txt"; fi
grep -h "generation:" "$OUT/run.txt" | sed 's/^/  /' | tee -a "$summary"
fi

# A short bench on the GPU (tiny model, one scenario, one run), then the bench the flags ask for.
if ! skip quick; then
timeout "${BENCH_TIMEOUT:-900}" ./minerva-native bench --device cuda --quick --csv "$OUT/bench-quick.csv" > "$OUT/bench-quick.log" 2>&1
say "bench --quick exit: $?"
tail -15 "$OUT/bench-quick.log" | tee -a "$summary"
fi
if [ $# -gt 0 ] && ! skip bench; then
  timeout "${BENCH_TIMEOUT:-900}" ./minerva-native bench --csv "$OUT/bench.csv" --json "$@" > "$OUT/bench.log" 2>&1
  say "bench $* exit: $?"
  tail -40 "$OUT/bench.log" | tee -a "$summary"
fi

# Where the decode time goes: per-kernel GPU time (CUDA events, eager launches) for 64 greedy tokens of each bench model.
for m in models/synthetic-tinyllama-1.1b-Q4_K_M.gguf models/synthetic-tinyllama-1.1b-BF16; do
  { [ -e "$m" ] && ! skip profile; } || continue
  echo "== profile $m" >> "$OUT/profile.txt"
  MINERVA_CUDA_PROFILE=1 timeout 300 ./minerva-native run -m "$m" -p "Once upon a time" -n 64 --temp 0 --ignore-eos --device cuda > /dev/null 2>> "$OUT/profile.txt"
done
[ -f "$OUT/profile.txt" ] && head -30 "$OUT/profile.txt" | tee -a "$summary"

# The PyTorch peer on the bench's own safetensors folder and prompt ids (tools/torch-peer/README.md): our bench on the
# same sizes, PyTorch, our bench again (ours, theirs, ours), the F16 folder after, the copy probe before and after.
peer="$OUT/peer"; ptmp=$(mktemp -d)
P=${PEER_PROMPT:-128}; N=${PEER_GEN:-128}; R=${PEER_RUNS:-5}; PY=${PYTHON:-python3}
st=models/synthetic-tinyllama-1.1b-BF16; q4=models/synthetic-tinyllama-1.1b-Q4_K_M.gguf; f16=models/synthetic-tinyllama-1.1b-F16
# Runs a command (output where the caller sends it) and lists it in peer/commands.txt, as run from the bundle folder.
logged() { mkdir -p "$peer"; printf '%s\n' "$*" >> "$peer/commands.txt"; "$@"; }
copy_probe() { # $1: before|after. Prints "GB/s source": copy_bandwidth.cu (built once), else the same copy through torch.
  local out gbps=""
  if [ -x "$ptmp/bw" ] || { command -v nvcc > /dev/null && logged nvcc -O2 "-arch=sm_$(nvidia-smi --query-gpu=compute_cap \
      --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .' | grep . || echo 90)" "$repo/tools/cuda-selftest/copy_bandwidth.cu" \
      -o "$ptmp/bw" >> "$peer/copy.txt" 2>&1; }; then
    out=$(logged "$ptmp/bw" 2>&1); printf '== %s\n%s\n' "$1" "$out" >> "$peer/copy.txt"
    gbps=$(printf '%s\n' "$out" | sed -n 's/^device-to-device copy: \([0-9.]*\) GB\/s.*/\1 copy_bandwidth.cu/p')
  fi
  if [ -z "$gbps" ]; then
    out=$(logged timeout 120 "$PY" "$repo/tools/torch-peer/decode_bench.py" --only-copy 2>&1)
    printf '== %s, through torch\n%s\n' "$1" "$out" >> "$peer/copy.txt"
    gbps=$(printf '%s\n' "$out" | sed -n 's/.*"copy_gbps_torch": \([0-9.]*\).*/\1 torch/p')
  fi
  echo "$gbps"
}
ours() { # $1: label, then extra bench flags: our bench at the peer's sizes; the CSV and the log are kept.
  local label=$1; shift
  logged timeout "${BENCH_TIMEOUT:-900}" ./minerva-native bench --device cuda --scenario short-chat --prompt-tokens "$P" \
    --gen-tokens "$N" --runs "$R" --warmup 1 --no-json --no-chart --csv "$ptmp/ours-$label.csv" "$@" > "$peer/ours-$label.log" 2>&1
  say "ours $label exit: $?"
  grep -E '^ +(GGUF|SafeTensors) ' "$peer/ours-$label.log" | sed 's/^ */  /' | tee -a "$summary"
  cp "$ptmp/ours-$label.csv" "$peer/" 2> /dev/null
}
theirs() { # $1: label, $2: folder, $3: dtype, $4: modes
  logged timeout "${PEER_TIMEOUT:-480}" env PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    "$PY" "$repo/tools/torch-peer/decode_bench.py" --model "$2" --dtype "$3" --modes "$4" --prompt-tokens "$P" \
    --gen-tokens "$N" --runs "$R" --traceback ${copy1:+--copy-gbps "$copy1"} > "$peer/torch-$1.jsonl" 2> "$peer/torch-$1.log"
  local rc=$?
  say "pytorch $1 exit: $rc$([ $rc = 124 ] && echo ": timed out after ${PEER_TIMEOUT:-480} s")"
  grep -E '^[a-z-]+: (prompt|FAILED)' "$peer/torch-$1.log" | sed 's/^/  /' | tee -a "$summary"
}
t_peer=$SECONDS; copy1=""; copy2=""; via1=""; via2=""
skip copy || { mkdir -p "$peer"; read -r copy1 via1 <<< "$(copy_probe before)"; say "copy bandwidth before: ${copy1:-failed} GB/s ${via1:+($via1)}"; }
skip ours || ours 1
if ! skip torch; then
  [ -e "$st/model.safetensors" ] || logged ./minerva-native make-model --preset tinyllama-1.1b --format safetensors --type bf16 -o "$st" > /dev/null 2>&1
  theirs bf16 "$st" bfloat16 "${PEER_MODES:-eager,compiled}"
fi
skip ours || ours 2
if ! skip f16 && { ! skip ours || ! skip torch; }; then
  [ -e "$f16/model.safetensors" ] || logged ./minerva-native make-model --preset tinyllama-1.1b --format safetensors --type f16 -o "$f16" > /dev/null 2>&1
  skip ours || ours f16 --model "$f16"
  skip torch || theirs f16 "$f16" float16 "${PEER_F16_MODES:-eager}"
fi
skip copy || { read -r copy2 via2 <<< "$(copy_probe after)"; say "copy bandwidth after: ${copy2:-failed} GB/s ${via2:+($via2)}"; }
if [ -d "$peer" ]; then
  copy=$(printf '%s\n' "$copy1" "$copy2" | sort -g | tail -1)
  args=()
  for m in "$q4" "$st" "$f16"; do
    [ -e "$m" ] && ./minerva-native info "$m" --json --tensors > "$ptmp/info-$(basename "$m").json" 2> /dev/null && args+=(--info "$ptmp/info-$(basename "$m").json")
  done
  for f in "$peer"/ours-*.csv; do [ -f "$f" ] && args+=(--ours "$(basename "$f" .csv | sed 's/^ours-//; s/^\([0-9]\)$/round \1/')=$f"); done
  for f in "$peer"/torch-*.jsonl; do [ -f "$f" ] && args+=(--torch "$f"); done
  [ -f "$OUT/bench.csv" ] && args+=(--bench "flags=$OUT/bench.csv")
  [ -n "$copy" ] && args+=(--copy-gbps "$copy")
  engine=$(sed -n '2p' "$peer/ours-1.csv" 2> /dev/null | cut -d, -f4 | cut -c1-9)
  if "$PY" "$repo/tools/torch-peer/summarize.py" --out "$OUT/summary.md" \
      --meta "GPU=$(nvidia-smi --query-gpu=name,memory.total,compute_cap --format=csv,noheader 2>/dev/null | head -1)" \
      --meta "driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)" \
      --meta "commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree); engine ${engine:-?} (bench CSV)" \
      --meta "date=$(date -u +%FT%TZ)" --meta "workload=the bench's $P prompt ids, $N generated, $R counted runs (+1 warm-up) per cell" \
      --copy-note "before ${copy1:-?} (${via1:-failed}), after ${copy2:-?} (${via2:-failed}); the larger is used" \
      --commands "$peer/commands.txt" "${args[@]}"; then
    say "summary.md written"
  else
    say "summary.md failed"
  fi
fi
rm -rf "$ptmp"; [ -d "$peer" ] && say "peer: $((SECONDS - t_peer)) s"

if [ "${PACK:-0}" = 1 ]; then
  tarball=$(mktemp -u /tmp/gpu-check-files.XXXXXX).tar.gz
  (cd "$OUT" && tar -czf "$tarball" --exclude=./summary.md --exclude=./summary.txt .) \
    && find "$OUT" -mindepth 1 -maxdepth 1 ! -name summary.md ! -name summary.txt -exec rm -rf {} + \
    && mv "$tarball" "$OUT/files.tar.gz" && say "packed: files.tar.gz ($(du -h "$OUT/files.tar.gz" | cut -f1))"
fi
say "done: $(date -u +%FT%TZ)"
