#!/usr/bin/env bash
# CPU speed against llama.cpp on the same GGUF files. Per weight type a TinyLlama-1.1B-shaped synthetic model (MODELS_DIR's
# synthetic-tinyllama-1.1b-TYPE.gguf, tl-type.gguf or tinyllama-1.1b-TYPE.gguf, the last written by make-model when none is
# there); per scenario ours (`minerva-native bench`) and llama.cpp (tools/Minerva.Native.PeerBench, LLamaSharp's prebuilt
# CPU library) with the same prompt ids, sizes and threads, 1 warm-up + 1 counted run each. Rounds repeat the whole set,
# the engines alternating (odd rounds ours first, even rounds llama.cpp first); the table holds the medians over rounds,
# ours / llama.cpp, and the decode ceiling from bench's memory read-bandwidth probe.
#   usage: scripts/cpu-vs-llamacpp.sh [OUT_DIR (default bench-results/cpu-vs-llamacpp-<timestamp>)]
#   env:   TYPES (Q4_0 Q8_0 Q4_K_M Q6_K F16 BF16); ROUNDS (3); THREADS (2); SCENARIOS (pp128 pp512 tg64): ppN is an N-token
#          prompt (prompt t/s, PP_GEN generated after it, 4), tgN is N generated tokens (generation t/s) after a TG_PROMPT-token
#          prompt (16); INTERLEAVE (300): then, per type, that many pairs of decode steps of ours and llama.cpp in one
#          process (`minerva-peerbench --interleave`, one token of each in turn, TG_PROMPT-token prompt, 64 generated per
#          session), whose per-pair ratio does not carry the minutes-apart drift of the rounds (0 skips it);
#          INTERLEAVE_PROMPT (20): likewise pairs of whole 128-token prompts (`--interleave-prompt`, prompt tokens/s); MODELS_DIR
#          (models); TIMEOUT per invocation in s (1800); DRY_RUN=1 prints the plan and stops
# Writes OUT_DIR/summary.md (also on stdout), compare.txt (`bench --results ours.csv --compare llamacpp.csv`), ours.csv and
# llamacpp.csv (every counted run), interleaved.md/.csv and interleaved-prompt.md/.csv (every pair), raw/ (each
# invocation's CSV, HTML report and log), commands.txt (machine, commit, commands).
set -u
out=${1:-bench-results/cpu-vs-llamacpp-$(date +%Y%m%d-%H%M%S)}
TYPES=${TYPES:-Q4_0 Q8_0 Q4_K_M Q6_K F16 BF16}; ROUNDS=${ROUNDS:-3}; THREADS=${THREADS:-2}; SCENARIOS=${SCENARIOS:-pp128 pp512 tg64}
PP_GEN=${PP_GEN:-4}; TG_PROMPT=${TG_PROMPT:-16}; MODELS_DIR=${MODELS_DIR:-models}; TIMEOUT=${TIMEOUT:-1800}; DRY_RUN=${DRY_RUN:-0}
INTERLEAVE=${INTERLEAVE:-300}; INTERLEAVE_PROMPT=${INTERLEAVE_PROMPT:-20}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
peer=tools/Minerva.Native.PeerBench/bin/Release/net10.0/minerva-peerbench.dll
die() { echo "cpu-vs-llamacpp: $*" >&2; exit 2; }
[ -x ./minerva-native ] || die "./minerva-native is missing (./build.sh)"
[ -f "$peer" ] || die "$peer is missing (dotnet build tools/Minerva.Native.PeerBench -c Release)"
command -v python3 >/dev/null || die "python3 is needed for the tables"

# ppN → bench's long-prompt with an N-token prompt; tgN → long-gen generating N; sizes as "scenario prompt gen".
sizes_of() {
  case "$1" in
    pp[0-9]*) echo "long-prompt ${1#pp} $PP_GEN" ;;
    tg[0-9]*) echo "long-gen $TG_PROMPT ${1#tg}" ;;
    *) die "scenario '$1' is neither ppN nor tgN" ;;
  esac
}
for s in $SCENARIOS; do sizes_of "$s" >/dev/null; done

# The model of a type: bench's synthetic file, the docs' tl-TYPE.gguf, else make-model's name for it, written on first use
# (make-model's default seed: the same bytes as bench's).
model_of() {
  for f in "$MODELS_DIR/synthetic-tinyllama-1.1b-$1.gguf" "$MODELS_DIR/tl-${1,,}.gguf" "$MODELS_DIR/tinyllama-1.1b-$1.gguf"; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  echo "$MODELS_DIR/tinyllama-1.1b-$1.gguf"
}

read -r -a types <<< "$TYPES"; read -r -a scenarios <<< "$SCENARIOS"
invocations=$((ROUNDS * ${#types[@]} * ${#scenarios[@]} * 2))
# Rough duration at 2-core speeds (prompt ~25 t/s, generation ~8 t/s, ~4 s per invocation for start, probe and loads), x2/THREADS.
estimate=$(for s in "${scenarios[@]}"; do sizes_of "$s"; done | awk -v r="$ROUNDS" -v t="${#types[@]}" -v th="$THREADS" \
  '{ s += 2 * ($2 / 25 + $3 / 8) * 2 / th + 4 } END { printf "%.0f", s * 2 * r * t / 60 }')
# interleaved pairs: two ~0.1 s steps and two 20 ms pauses each at 2 threads, plus ~20 s of loads per type
estimate=$((estimate + ${#types[@]} * (INTERLEAVE * 3 / 10 * 2 / THREADS + INTERLEAVE_PROMPT * 5 * 2 / THREADS + 40) / 60))
echo "cpu-vs-llamacpp: ${#types[@]} type(s) [$TYPES] x ${#scenarios[@]} scenario(s) [$SCENARIOS] x 2 engines x $ROUNDS round(s) = $invocations invocations," \
  "$((invocations * 2)) model runs (1 warm-up + 1 counted each), $THREADS threads; roughly $estimate min at the 2-core VM's speeds, plus writing missing models"
for t in "${types[@]}"; do
  f=$(model_of "$t"); [ -f "$f" ] && echo "  $t: $f" || echo "  $t: $f (to be written by make-model)"
done
[ "$DRY_RUN" = 1 ] && exit 0

mkdir -p "$out/raw" "$MODELS_DIR"
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512bw|avx512_vnni|avx_vnni|avx512_bf16|amx_tile|amx_bf16|amx_int8)$' | tr '\n' ' ')
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p' | head -1), model $(lscpu | sed -n 's/^Model: *//p' | head -1)) x $(nproc); flags: ${flags:-none of avx2/avx512/vnni/bf16/amx}"
  echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dotnet: $(dotnet --version 2>/dev/null); llama.cpp: $(grep -o '"LLamaSharp/[^"]*"' "${peer%.dll}.deps.json" | head -1 | tr -d '"')"
  echo "types: $TYPES; scenarios: $SCENARIOS (pp: +$PP_GEN generated; tg: after $TG_PROMPT prompt tokens); rounds: $ROUNDS; threads: $THREADS; interleaved pairs: $INTERLEAVE decode, $INTERLEAVE_PROMPT prompt"
  echo
} > "$out/commands.txt"
cat "$out/commands.txt"

run() {   # run LOG COMMAND...: logs the command, runs it bounded, returns its status
  local log=$1; shift
  echo "$*" >> "$out/commands.txt"
  timeout "$TIMEOUT" "$@" > "$log" 2>&1
}

for t in "${types[@]}"; do
  f=$(model_of "$t")
  if [ ! -f "$f" ]; then
    echo "writing $f"
    run "$out/raw/make-model-$t.log" ./minerva-native make-model --preset tinyllama-1.1b --format gguf --type "${t,,}" -o "$f" \
      || { tail -3 "$out/raw/make-model-$t.log" >&2; die "could not write $f"; }
  fi
done

trap 'echo "cpu-vs-llamacpp: interrupted; the runs so far are in $out/raw" >&2; exit 130' INT TERM
status=0; done_n=0; started=$(date +%s)
for round in $(seq "$ROUNDS"); do
  engines="ours llamacpp"; [ $((round % 2)) = 0 ] && engines="llamacpp ours"
  for t in "${types[@]}"; do
    f=$(model_of "$t")
    for s in "${scenarios[@]}"; do
      read -r name prompt gen <<< "$(sizes_of "$s")"
      args=(--model "$f" --device cpu --scenario "$name" --prompt-tokens "$prompt" --gen-tokens "$gen" --runs 1 --warmup 1 --threads "$THREADS")
      for e in $engines; do
        base="$out/raw/$e-$t-$s-r$round"
        if [ "$e" = ours ]; then run "$base.log" ./minerva-native bench "${args[@]}" --csv "$base.csv" --no-json --no-chart
        else run "$base.log" dotnet "$peer" "${args[@]}" --csv "$base.csv"; fi
        rc=$?
        done_n=$((done_n + 1)); elapsed=$(( $(date +%s) - started ))
        line=$(grep -m1 ' run 1/1 ' "$base.log" | sed 's/^.*run 1\/1 *//')
        [ $rc = 0 ] || { status=1; line="FAILED (exit $rc, see $base.log)"; }
        printf '[%d/%d] round %d %-8s %-6s %-8s %s  (eta %d min)\n' "$done_n" "$invocations" "$round" "$e" "$t" "$s" "$line" \
          $(( elapsed * (invocations - done_n) / done_n / 60 ))
      done
    done
  done
done

if [ "$INTERLEAVE" -gt 0 ]; then
  models=(); for t in "${types[@]}"; do models+=(--model "$(model_of "$t")"); done
  echo "interleaved decode: $INTERLEAVE step pairs per type"
  run "$out/raw/interleaved.log" dotnet "$peer" --interleave "$INTERLEAVE" "${models[@]}" --threads "$THREADS" \
    --prompt-tokens "$TG_PROMPT" --gen-tokens 64 --csv "$out/interleaved.csv" \
    || { status=1; echo "interleaved decode FAILED (see $out/raw/interleaved.log)"; }
  grep '^|' "$out/raw/interleaved.log" > "$out/interleaved.md"
fi
if [ "$INTERLEAVE_PROMPT" -gt 0 ]; then
  models=(); for t in "${types[@]}"; do models+=(--model "$(model_of "$t")"); done
  echo "interleaved prompt processing: $INTERLEAVE_PROMPT pairs of 128-token prompts per type"
  run "$out/raw/interleaved-prompt.log" dotnet "$peer" --interleave-prompt "$INTERLEAVE_PROMPT" "${models[@]}" --threads "$THREADS" \
    --prompt-tokens 128 --csv "$out/interleaved-prompt.csv" \
    || { status=1; echo "interleaved prompt processing FAILED (see $out/raw/interleaved-prompt.log)"; }
  grep '^|' "$out/raw/interleaved-prompt.log" > "$out/interleaved-prompt.md"
fi

python3 - "$out" "$ROUNDS" "$THREADS" "$SCENARIOS" "$TYPES" <<'PY'
import csv, glob, os, statistics, sys
out, rounds, threads, scenarios, types = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5].split()

def merge(engine):
    rows, header = [], None
    for path in sorted(glob.glob(os.path.join(out, "raw", f"{engine}-*.csv"))):
        with open(path, newline="") as f:
            r = csv.DictReader(f)
            header = header or r.fieldnames
            for row in r:
                row["_file"] = os.path.basename(path)
                rows.append(row)
    if header:
        with open(os.path.join(out, ("ours" if engine == "ours" else "llamacpp") + ".csv"), "w", newline="") as f:
            w = csv.DictWriter(f, header, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
    return rows

def num(row, col):
    try: return float(row.get(col) or "nan")
    except ValueError: return float("nan")

def median(rows, col):
    v = [x for x in (num(r, col) for r in rows) if x == x]
    return statistics.median(v) if v else None

ours, theirs = merge("ours"), merge("llamacpp")
def of(rows, t, s):   # raw file names are ENGINE-TYPE-SCENARIO-rROUND.csv
    return [r for r in rows if r["_file"].rsplit("-r", 1)[0].split("-", 1)[1] == f"{t}-{s}"]
f = lambda v, d: "–" if v is None else f"{v:.{d}f}"
head = ["type"]
for s in scenarios: head += [f"ours {s}", f"llama.cpp {s}", "ratio"]
head.append("ceiling tg t/s")
lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
for t in types:
    cells = [t]
    for s in scenarios:
        col = "PromptTokensPerSec" if s.startswith("pp") else "GenTokensPerSec"
        a, b = median(of(ours, t, s), col), median(of(theirs, t, s), col)
        cells += [f(a, 1), f(b, 1), "–" if a is None or not b else f"{a / b:.2f}x"]
    cells.append(f(median([r for r in ours if r["_file"].split("-")[1] == t], "GenCeilingTokensPerSec"), 1))
    lines.append("| " + " | ".join(cells) + " |")
bw = median(ours, "ReadBandwidthGBps")
if int(rounds) == 0: lines = ["No rounds (ROUNDS=0): the interleaved pairs only."]
else: lines += ["", f"Medians of {rounds} round(s), 1 counted run after 1 warm-up per engine, type and scenario, {threads} threads, CPU. "
          "ppN: prompt tokens/s of an N-token prompt evaluated as one batch (time to first token); tgN: generation tokens/s "
          "(1 / median inter-token time). ratio = ours / llama.cpp (above 1: we are faster). ceiling tg t/s = memory read "
          f"bandwidth ({f(bw, 1)} GB/s, median of bench's probes, {threads} threads) / weight bytes read per generated token."]
il = os.path.join(out, "interleaved.md")
if os.path.exists(il) and os.path.getsize(il) > 0:
    lines += ["", "Decode, both engines in one process, one generated token of each in turn (`minerva-peerbench --interleave`; "
              "each pair within ~0.2 s, so the VM's bandwidth drift cancels in the per-pair ratio):", ""]
    lines += open(il).read().splitlines()
ilp = os.path.join(out, "interleaved-prompt.md")
if os.path.exists(ilp) and os.path.getsize(ilp) > 0:
    lines += ["", "Prompt processing likewise: one whole 128-token prompt of each engine in turn, in fresh sessions "
              "(`minerva-peerbench --interleave-prompt`):", ""]
    lines += open(ilp).read().splitlines()
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text, end="")
PY
[ -f "$out/ours.csv" ] && [ -f "$out/llamacpp.csv" ] && ./minerva-native bench --results "$out/ours.csv" --compare "$out/llamacpp.csv" > "$out/compare.txt" 2>&1
echo "cpu-vs-llamacpp: results in $out (summary.md, compare.txt, ours.csv, llamacpp.csv, interleaved*.md/.csv, raw/, commands.txt)"
exit $status
