#!/usr/bin/env python3
"""PyTorch peer of `minerva-native bench`: greedy decode of the same Hugging Face Llama folder, through transformers.

Modes (one JSON line each on stdout):
  eager            model.generate(), as transformers does it out of the box (dynamic KV cache, eager kernels); the
                   time of every step is read by a logits processor (generate already waits for the GPU each step).
  compiled         the fast way, as gpt-fast does it: a static KV cache and a one-token decode step compiled with
                   torch.compile(mode="reduce-overhead") (Inductor kernels replayed as CUDA graphs); the prompt runs
                   eagerly into the same cache. Compile time is reported apart and never counted.
  generate-static  (only when asked) model.generate(cache_implementation="static"): transformers' own compile path.

Timing matches the bench: the prompt is evaluated once up to and including the first generated token (TTFT, prompt
t/s = prompt tokens / TTFT), then gen-1 single-token steps, each waited for on the GPU; decode t/s = 1000 / median
step ms of a run, and the result is the median over the runs (min..max beside it). The prompt is the bench's own ids
(SplitMix64, hf_folder.bench_prompt) unless --prompt-ids gives a file. EOS never stops a run.

Weight bytes per token = every parameter once except the token embedding (a row per token), as our bench docs count;
with --copy-gbps (device-to-device copy, read + write, tools/cuda-selftest/copy_bandwidth.cu) each line also says
what share of that bandwidth the decode reaches: bytes/token x t/s / copy GB/s.

Offline only: from_pretrained(folder, local_files_only=True); no tokenizer. --dry-run checks the folder and prints
the plan without importing torch.

Exit codes: 0 every mode ran; 3 some mode failed (its line says why, the others stand); 1 nothing ran (bad folder,
no GPU, load failed); 2 bad command line.
"""
import argparse
import csv
import datetime
import importlib.metadata
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_folder  # noqa: E402  (beside this file)

MODES = ("eager", "compiled", "generate-static")
COLUMNS = ["timestamp", "engine", "mode", "ok", "model", "dtype", "attn", "prompt_tokens", "gen_tokens", "runs",
           "decode_tps", "decode_tps_min", "decode_tps_max", "decode_ms", "decode_tps_mean", "decode_tps_pipelined",
           "prefill_tps", "ttft_ms", "load_s", "warmup_s", "compile_s", "weight_bytes_per_token", "param_bytes",
           "achieved_gbps", "copy_gbps", "pct_copy_bw", "peak_gpu_mib", "match_eager_prefix", "dynamo_graphs",
           "cudagraph_skips", "gpu", "driver", "cuda", "torch", "transformers", "python", "note", "error"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def version_tuple(v):
    out = []
    for part in (v or "0").split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def nvidia_smi():
    """(GPU name, driver version) from nvidia-smi, or (None, None) where it is missing."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.strip().splitlines()
        name, driver = [x.strip() for x in out[0].split(",")[:2]]
        return name, driver
    except (OSError, IndexError, ValueError, subprocess.SubprocessError):
        return None, None


def median_of(values):
    return statistics.median(values) if values else None


def match_prefix(a, b):
    n = 0
    for x, y in zip(a or [], b or []):
        if x != y:
            break
        n += 1
    return n


# ---- loading -------------------------------------------------------------------------------------------------

def load_model(torch, args, torch_dtype):
    """LlamaForCausalLM on the device in the asked dtype. transformers 4.56+ (and 5.x) call the dtype argument `dtype`,
    earlier ones `torch_dtype`; an unknown keyword would silently become a config field, so the version picks it, and
    the loaded dtype is checked either way."""
    import transformers
    from transformers import LlamaForCausalLM
    tv = version_tuple(transformers.__version__)
    first = "dtype" if tv >= (4, 56) else "torch_dtype"
    tries = [{first: torch_dtype, "attn_implementation": args.attn},
             {("torch_dtype" if first == "dtype" else "dtype"): torch_dtype, "attn_implementation": args.attn},
             {first: torch_dtype}]
    errors = []
    t0 = time.perf_counter()
    for kw in tries:
        try:
            model = LlamaForCausalLM.from_pretrained(args.model, local_files_only=True, **kw)
            break
        except (TypeError, ValueError) as e:
            errors.append(f"from_pretrained({', '.join(kw)}): {type(e).__name__}: {e}")
            log(f"  {errors[-1]}")
    else:
        raise RuntimeError("LlamaForCausalLM.from_pretrained failed every way tried: " + " | ".join(errors))
    notes = []
    got = next(model.parameters()).dtype
    if got != torch_dtype:
        notes.append(f"loaded as {got}, cast to {torch_dtype}")
        model = model.to(torch_dtype)
    model = model.to(args.device).eval()
    attn = getattr(model.config, "_attn_implementation", None)
    if attn and attn != args.attn:
        notes.append(f"attention {attn}")
    sync(torch, args)
    return model, time.perf_counter() - t0, notes


def sync(torch, args):
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()


def model_bytes(model):
    """(all parameter bytes, bytes read per decoded token): parameters() yields a tied matrix once."""
    params = {n: p for n, p in model.named_parameters()}
    total = sum(p.numel() * p.element_size() for p in params.values())
    embed = sum(p.numel() * p.element_size() for n, p in params.items() if n.endswith("embed_tokens.weight"))
    tied = not any(n.endswith("lm_head.weight") for n in params)
    return total, total - (0 if tied else embed)


# ---- mode (a): eager generate -----------------------------------------------------------------------------------

def eager_generate(torch, model, ids, args, static=False):
    """model.generate greedy, exactly gen tokens (min_new_tokens masks EOS until then). A logits processor stamps the
    clock after each forward: stamp 0 closes the prompt (TTFT), the gaps between stamps are the decode steps."""
    try:
        from transformers import LogitsProcessor, LogitsProcessorList
    except ImportError:
        from transformers.generation import LogitsProcessor, LogitsProcessorList

    class StepClock(LogitsProcessor):
        def __init__(self):
            self.stamps = []

        def __call__(self, input_ids, scores):
            sync(torch, args)
            self.stamps.append(time.perf_counter())
            return scores

    clock = StepClock()
    eos = model.config.eos_token_id
    pad = eos[0] if isinstance(eos, list) else eos
    kw = dict(attention_mask=torch.ones_like(ids), max_new_tokens=args.gen_tokens, min_new_tokens=args.gen_tokens,
              do_sample=False, num_beams=1, use_cache=True, pad_token_id=pad if pad is not None else 0,
              logits_processor=LogitsProcessorList([clock]))
    if static:
        kw["cache_implementation"] = "static"

    def once():
        clock.stamps.clear()
        sync(torch, args)
        t0 = time.perf_counter()
        out = model.generate(ids, **kw)
        sync(torch, args)
        end = time.perf_counter()
        s = clock.stamps
        steps = [(b - a) * 1e3 for a, b in zip(s, s[1:])]
        tokens = out[0, ids.shape[1]:].tolist()
        if len(tokens) != args.gen_tokens:
            raise RuntimeError(f"generate returned {len(tokens)} tokens, {args.gen_tokens} asked")
        return {"ttft_ms": (s[0] - t0) * 1e3, "steps_ms": steps, "decode_s": s[-1] - s[0], "total_s": end - t0,
                "tokens": tokens}
    return once


# ---- mode (b): static cache + compiled decode step ---------------------------------------------------------------

def make_static_cache(model, max_len, torch_dtype, device):
    """transformers.StaticCache across versions: 4.56+/5.x take (config, max_cache_len) and size the layers at the
    first update; 4.45-4.55 need max_batch_size, device and dtype; 4.38-4.44 called the batch size batch_size."""
    from transformers import StaticCache
    tries = [dict(config=model.config, max_cache_len=max_len),
             dict(config=model.config, max_batch_size=1, max_cache_len=max_len, device=device, dtype=torch_dtype),
             dict(config=model.config, batch_size=1, max_cache_len=max_len, device=device, dtype=torch_dtype)]
    errors = []
    for kw in tries:
        try:
            return StaticCache(**kw)
        except (TypeError, ValueError, RuntimeError) as e:
            errors.append(f"StaticCache({', '.join(kw)}): {type(e).__name__}: {e}")
    raise RuntimeError(" | ".join(errors))


def forward_kwargs(model):
    """Keywords of every forward call. Only the last position's logits are needed: logits_to_keep in 4.50+,
    num_logits_to_keep in 4.45-4.49. Until early 2026 a static cache was written at the cache_position the caller
    passes (4.38+); later 5.x releases dropped the argument and the cache counts its own length, so it is passed only
    where forward names it."""
    params = inspect.signature(model.forward).parameters
    kw = {}
    for name in ("logits_to_keep", "num_logits_to_keep"):
        if name in params:
            kw[name] = 1
            break
    return kw, "cache_position" in params


def reset_cache(torch, cache):
    """Empty a StaticCache in place, keeping every tensor's address (the CUDA graphs read them). Layered caches
    (4.56+) are reset here: some releases set a layer's tensor length counter back to a plain 0 in reset(), which
    would lose its static address; older caches zero their own lists."""
    layers = getattr(cache, "layers", None)
    if not isinstance(layers, (list, tuple)):
        cache.reset()
        return
    for layer in layers:
        if getattr(layer, "is_initialized", False):
            layer.keys.zero_()
            layer.values.zero_()
        length = getattr(layer, "cumulative_length", None)
        if torch.is_tensor(length):
            length.zero_()
        elif length is not None:
            layer.cumulative_length = 0


def graph_break(e):
    """Whether a compile error is Dynamo refusing a graph break under fullgraph=True (worth a retry without it)."""
    return type(e).__name__ in ("Unsupported", "UserError") or "graph break" in str(e).lower()


def static_compiled(torch, model, ids, args, torch_dtype, report):
    """gpt-fast's loop on transformers' model: prefill eagerly into a StaticCache, then one compiled step per token.
    Returns a run function; the warm-up (compile, CUDA-graph recording) happens on its first calls."""
    P, N = ids.shape[1], args.gen_tokens
    cache = make_static_cache(model, P + N, torch_dtype, args.device)
    fkw, pass_position = forward_kwargs(model)

    def logits_of(out):
        return out.logits if hasattr(out, "logits") else out[0]

    def forward(tokens, pos):  # tokens [1, n], pos [n]: their cache slots and RoPE positions
        extra = dict(fkw, cache_position=pos) if pass_position else fkw
        out = model(input_ids=tokens, position_ids=pos.unsqueeze(0), past_key_values=cache, use_cache=True, **extra)
        return torch.argmax(logits_of(out)[:, -1, :], dim=-1, keepdim=True)

    def prefill(tokens):
        return forward(tokens, torch.arange(P, device=args.device))

    def step(token, pos):  # token [1, 1], pos [1]
        return forward(token, pos)

    compiled = {"fn": torch.compile(step, mode=args.compile_mode, fullgraph=True, dynamic=False), "first": True}
    mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)

    def call_step(token, pos):
        if mark is not None:
            mark()  # each call is a new CUDA-graph step: outputs of the last one may be overwritten (we clone them)
        if not compiled["first"]:
            return compiled["fn"](token, pos)
        t0 = time.perf_counter()
        try:
            out = compiled["fn"](token, pos)
        except Exception as e:
            if not graph_break(e):
                raise
            # a graph break under fullgraph=True: compile once more, letting Dynamo split the graph there
            report["note"].append(f"fullgraph=True failed ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:200]}); "
                                  "retried with fullgraph=False")
            log("  " + report["note"][-1])
            torch._dynamo.reset()
            compiled["fn"] = torch.compile(step, mode=args.compile_mode, fullgraph=False, dynamic=False)
            out = compiled["fn"](token, pos)
        sync(torch, args)
        report["compile_s"] = round(time.perf_counter() - t0, 2)
        compiled["first"] = False
        return out

    def once(per_step_sync=True):
        reset_cache(torch, cache)
        sync(torch, args)
        t0 = time.perf_counter()
        token = prefill(ids)
        sync(torch, args)
        t1 = time.perf_counter()
        generated = torch.empty((1, N), dtype=torch.long, device=args.device)
        generated[:, 0] = token[:, 0]
        pos = torch.tensor([P], dtype=torch.long, device=args.device)
        steps = []
        for i in range(1, N):
            s = time.perf_counter()
            token = call_step(token, pos).clone()
            generated[:, i] = token[:, 0]
            pos += 1
            if per_step_sync:
                sync(torch, args)
                steps.append((time.perf_counter() - s) * 1e3)
        sync(torch, args)
        end = time.perf_counter()
        return {"ttft_ms": (t1 - t0) * 1e3, "steps_ms": steps, "decode_s": end - t1, "total_s": end - t0,
                "tokens": generated[0].tolist()}
    return once


# ---- running a mode ---------------------------------------------------------------------------------------------

def copy_bandwidth(torch, device, gib=2, reps=10):
    """Device-to-device copy, read + write GB/s, median of reps (what copy_bandwidth.cu measures, through torch)."""
    n = gib << 30
    a = torch.empty(n, dtype=torch.uint8, device=device).fill_(1)
    b = torch.empty_like(a)
    b.copy_(a)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    rates = []
    for _ in range(reps):
        start.record()
        b.copy_(a)
        stop.record()
        stop.synchronize()
        rates.append(2.0 * n / (start.elapsed_time(stop) * 1e6))
    del a, b
    torch.cuda.empty_cache()
    return statistics.median(rates)


def run_mode(mode, torch, model, ids, args, torch_dtype, base, eager_tokens):
    rec = dict(base, mode=mode, ok=False, note=list(base["note"]), error="")
    graphs0, skips0 = dynamo_counts()
    sync(torch, args)
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    try:
        t0 = time.perf_counter()
        if mode == "eager":
            once = eager_generate(torch, model, ids, args)
        elif mode == "generate-static":
            once = eager_generate(torch, model, ids, args, static=True)
        else:
            once = static_compiled(torch, model, ids, args, torch_dtype, rec)
        for _ in range(max(1, args.warmup)):  # compile and graph recording happen here, never in a counted run
            first = once()
        rec["warmup_s"] = round(time.perf_counter() - t0, 3)
        if mode == "generate-static":
            rec["compile_s"] = rec["warmup_s"]  # generate compiles inside; the warm-up holds it
        runs = [once() for _ in range(args.runs)]
        if mode == "compiled":  # the same loop without waiting on each step: the launch queue stays full
            piped = [once(per_step_sync=False) for _ in range(args.runs)]
            rec["decode_tps_pipelined"] = round(median_of([(args.gen_tokens - 1) / r["decode_s"] for r in piped]), 2)
    except Exception as e:  # report the mode as failed, keep the others
        line = (str(e).strip().splitlines() or [""])[0]
        rec["error"] = f"{type(e).__name__}: {line[:400]}"
        log(f"{mode}: FAILED: {rec['error']}")
        if args.traceback:
            import traceback
            traceback.print_exc()
        return rec, None
    tps = [1000.0 / median_of(r["steps_ms"]) for r in runs]
    rec.update(ok=True, runs=len(runs), decode_tps=round(median_of(tps), 2), decode_tps_min=round(min(tps), 2),
               decode_tps_max=round(max(tps), 2), decode_ms=round(1000.0 / median_of(tps), 4),
               decode_tps_mean=round(median_of([(args.gen_tokens - 1) / r["decode_s"] for r in runs]), 2),
               ttft_ms=round(median_of([r["ttft_ms"] for r in runs]), 3),
               prefill_tps=round(median_of([ids.shape[1] * 1000.0 / r["ttft_ms"] for r in runs]), 1),
               tokens_head=runs[0]["tokens"][:16])
    if mode != "eager" and eager_tokens:
        rec["match_eager_prefix"] = match_prefix(runs[0]["tokens"], eager_tokens)
    if any(r["tokens"] != first["tokens"] for r in runs):
        rec["note"].append("greedy tokens differ between runs")
    if args.device.startswith("cuda"):
        rec["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    if mode != "eager":
        graphs, skips = dynamo_counts()
        rec["dynamo_graphs"], rec["cudagraph_skips"] = graphs - graphs0, skips - skips0
        if rec["dynamo_graphs"] > 2:
            rec["note"].append(f"Dynamo compiled {rec['dynamo_graphs']} graphs (recompiles or graph breaks)")
        if rec["cudagraph_skips"]:
            rec["note"].append(f"CUDA graphs were skipped {rec['cudagraph_skips']} times (see the log)")
    finish(rec)
    return rec, runs[0]["tokens"]


def dynamo_counts():
    """(graphs Dynamo has compiled, calls that cudagraph trees ran without a graph) so far in this process."""
    try:
        from torch._dynamo.utils import counters
        return counters["stats"]["unique_graphs"], counters["inductor"]["cudagraph_skips"]
    except Exception:
        return 0, 0


def finish(rec):
    """GB/s the decode moves and its share of the copy bandwidth."""
    if rec.get("decode_tps") and rec.get("weight_bytes_per_token"):
        rec["achieved_gbps"] = round(rec["weight_bytes_per_token"] * rec["decode_tps"] / 1e9, 1)
        if rec.get("copy_gbps"):
            rec["pct_copy_bw"] = round(100.0 * rec["achieved_gbps"] / rec["copy_gbps"], 1)


# ---- output -----------------------------------------------------------------------------------------------------

def emit(rec, args):
    rec = dict(rec, note="; ".join(rec.get("note") or []))
    print(json.dumps(rec, sort_keys=False), flush=True)
    if args.csv:
        new = not os.path.exists(args.csv) or os.path.getsize(args.csv) == 0
        with open(args.csv, "a", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(rec)
    row = md_row(rec)
    if args.md:
        new = not os.path.exists(args.md) or os.path.getsize(args.md) == 0
        with open(args.md, "a", encoding="utf-8") as f:
            if new:
                f.write(MD_HEADER)
            f.write(row + "\n")
    return row


MD_HEADER = ("| engine | mode | dtype | prompt/gen | prompt t/s | decode t/s (min..max) | GB/s | % of copy | compile s | GPU |\n"
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")


def md_row(r):
    def f(x, spec):
        return "" if x in (None, "") else format(x, spec)
    if not r.get("ok"):
        dec = f"failed: {r.get('error', '')[:120]}"
    else:
        dec = f"{f(r.get('decode_tps'), '.1f')} ({f(r.get('decode_tps_min'), '.1f')}..{f(r.get('decode_tps_max'), '.1f')})"
    return (f"| PyTorch {r.get('torch') or ''} + transformers {r.get('transformers') or ''} | {r['mode']} | {r.get('dtype')} | "
            f"{r.get('prompt_tokens')}/{r.get('gen_tokens')} | {f(r.get('prefill_tps'), '.1f')} | {dec} | "
            f"{f(r.get('achieved_gbps'), '.1f')} | {f(r.get('pct_copy_bw'), '.1f')} | {f(r.get('compile_s'), '.1f')} | "
            f"{r.get('gpu') or ''} |")


# ---- command line -----------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--model", default="models/synthetic-tinyllama-1.1b-BF16",
                   help="Hugging Face folder (config.json + safetensors); default: the bench's BF16 folder")
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    p.add_argument("--modes", default="eager,compiled", help=f"comma list of {', '.join(MODES)}")
    p.add_argument("--prompt-tokens", type=int, default=128)
    p.add_argument("--gen-tokens", type=int, default=128)
    p.add_argument("--prompt-ids", help="file of prompt ids (JSON array or integers); default: the bench's SplitMix64 ids")
    p.add_argument("--runs", type=int, default=5, help="counted runs per mode (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted runs first (compile happens in them)")
    p.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa, eager, ...)")
    p.add_argument("--compile-mode", default="reduce-overhead", help="torch.compile mode of the compiled step")
    p.add_argument("--device", default="cuda")
    p.add_argument("--copy-gbps", type=float, help="device copy bandwidth (read + write) for the %% column")
    p.add_argument("--measure-copy", action="store_true", help="measure the copy bandwidth through torch first "
                   "(used for the %% column when --copy-gbps is not given)")
    p.add_argument("--only-copy", action="store_true", help="only measure the copy bandwidth; one JSON line")
    p.add_argument("--csv", help="append one row per mode to this CSV")
    p.add_argument("--md", help="append one markdown table row per mode to this file")
    p.add_argument("--dry-run", action="store_true", help="check the folder and print the plan; torch is not imported")
    p.add_argument("--traceback", action="store_true", help="print the whole traceback of a failed mode")
    a = p.parse_args(argv)
    a.modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    bad = [m for m in a.modes if m not in MODES]
    if bad:
        p.error(f"unknown mode(s) {bad}; known: {', '.join(MODES)}")
    if a.gen_tokens < 2 or a.runs < 1 or (a.prompt_tokens < 1 and not a.prompt_ids):
        p.error("--gen-tokens must be at least 2, --runs at least 1, --prompt-tokens at least 1")
    return a


def prompt_ids(args, vocab, from_file):
    ids = from_file if from_file is not None else hf_folder.bench_prompt(vocab, args.prompt_tokens)
    if not ids or min(ids) < 0 or max(ids) >= vocab:
        raise SystemExit(f"prompt ids must be 0..{vocab - 1}, got {len(ids)} ids in {min(ids, default=0)}..{max(ids, default=0)}")
    return ids


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    gpu, driver = nvidia_smi()
    if args.only_copy:
        import torch
        print(json.dumps({"copy_gbps_torch": round(copy_bandwidth(torch, args.device), 1), "gpu": gpu, "driver": driver}))
        return 0
    hf_folder.check_prompt_reference()
    from_file = hf_folder.read_prompt_file(args.prompt_ids) if args.prompt_ids else None
    if from_file is not None:
        args.prompt_tokens = len(from_file)
    facts, problems = hf_folder.inspect_folder(args.model, args.dtype, args.prompt_tokens, args.gen_tokens)
    for msg in problems:
        log(f"{args.model}: {msg}")
    if problems:
        return 1
    cfg = facts["config"]
    ids = prompt_ids(args, cfg["vocab_size"], from_file)
    base = {"timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "engine": "pytorch", "model": os.path.basename(os.path.normpath(args.model)), "dtype": args.dtype,
            "attn": args.attn, "prompt_tokens": len(ids), "gen_tokens": args.gen_tokens, "runs": args.runs,
            "weight_bytes_per_token": facts["weight_bytes_per_token"], "param_bytes": facts["param_bytes"],
            "copy_gbps": args.copy_gbps, "gpu": gpu, "driver": driver, "torch": installed("torch"),
            "transformers": installed("transformers"), "python": platform.python_version(),
            "note": [facts["note"]] if facts.get("note") else []}
    if args.dry_run:
        gb = facts["weight_bytes_per_token"] / 1e9
        log(f"folder ok: {facts['folder']}")
        log(f"  {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, ffn {cfg['intermediate_size']}, heads "
            f"{cfg['num_attention_heads']}/{cfg.get('num_key_value_heads')}, vocab {cfg['vocab_size']}; {facts['tensors']} "
            f"tensors in {'/'.join(facts['file_dtypes'])}, {facts['parameters']:,} parameters")
        log(f"  weights read per token as {args.dtype}: {gb * 1e3:.1f} MB (all {facts['param_bytes'] / 1e6:.1f} MB "
            f"less the token embedding)" + (f"; {facts['note']}" if facts.get("note") else ""))
        if args.copy_gbps:
            log(f"  at {args.copy_gbps:.0f} GB/s copy bandwidth the decode ceiling is {args.copy_gbps / gb:.0f} t/s")
        log(f"  prompt: {len(ids)} ids ({'file ' + args.prompt_ids if args.prompt_ids else 'SplitMix64, the bench'}"
            f"), first {ids[:8]}; {args.gen_tokens} generated; static cache of {len(ids) + args.gen_tokens} positions")
        log(f"  plan: {', '.join(args.modes)} on {args.device}, attention {args.attn}, {args.warmup} warm-up + "
            f"{args.runs} counted runs each; compile mode {args.compile_mode}")
        log(f"  installed here: torch {base['torch']}, transformers {base['transformers']}, "
            f"safetensors {installed('safetensors')}; GPU {gpu or 'none'} (driver {driver or '-'})")
        print(json.dumps(dict(base, mode="dry-run", ok=True, note="; ".join(base["note"]), prompt_head=ids[:8])))
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import transformers
    base.update(torch=torch.__version__, transformers=transformers.__version__, cuda=torch.version.cuda)
    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            log("torch sees no CUDA device")
            return 1
        base["gpu"] = base["gpu"] or torch.cuda.get_device_name()
        if args.measure_copy:
            measured = copy_bandwidth(torch, args.device)
            log(f"device-to-device copy through torch: {measured:.0f} GB/s")
            base["copy_gbps_torch"] = round(measured, 1)
            base["copy_gbps"] = base["copy_gbps"] or round(measured, 1)
    torch_dtype = getattr(torch, args.dtype)
    with torch.no_grad():
        model, load_s, notes = load_model(torch, args, torch_dtype)
        base["load_s"] = round(load_s, 2)
        base["note"] += notes
        base["param_bytes"], base["weight_bytes_per_token"] = model_bytes(model)
        log(f"loaded {args.model} as {args.dtype} in {load_s:.1f} s: torch {torch.__version__}, transformers "
            f"{transformers.__version__}, {base['gpu']}, driver {driver}")
        tensor = torch.tensor([ids], dtype=torch.long, device=args.device)
        rows, oks, eager_tokens = [], [], None
        for mode in args.modes:
            log(f"{mode}: {args.warmup} warm-up + {args.runs} runs of {len(ids)} prompt + {args.gen_tokens} generated")
            rec, tokens = run_mode(mode, torch, model, tensor, args, torch_dtype, base, eager_tokens)
            if mode == "eager":
                eager_tokens = tokens
            oks.append(bool(rec.get("ok")))
            rows.append(emit(rec, args))
            if rec.get("ok"):
                log(f"{mode}: prompt {rec['prefill_tps']:.1f} t/s, decode {rec['decode_tps']:.1f} t/s "
                    f"({rec['decode_tps_min']:.1f}..{rec['decode_tps_max']:.1f})"
                    + (f", pipelined {rec['decode_tps_pipelined']:.1f} t/s" if rec.get("decode_tps_pipelined") else "")
                    + (f", compile {rec['compile_s']:.1f} s" if rec.get("compile_s") else ""))
    log("")
    log(MD_HEADER.rstrip("\n"))
    for r in rows:
        log(r)
    return 0 if all(oks) else (3 if any(oks) else 1)


if __name__ == "__main__":
    sys.exit(main())
