# What the PyTorch peer needs to know before it imports torch: the bench's prompt ids (SplitMix64, as
# src/Minerva.Native.Cli/Bench/BenchPrompt.cs draws them) and a Hugging Face Llama folder checked against its
# config.json from the safetensors headers alone (names, shapes, dtypes, bytes). Standard library only.
import json
import os
import struct

# ---- prompt ids: BenchPrompt.Tokens(vocab, count, seed), bit for bit ----

PROMPT_SEED = 0x4D494E4552564121  # "MINERVA!", BenchPrompt.DefaultSeed
_MASK = (1 << 64) - 1


def first_ordinary_id(vocab_size):
    """Past unk/bos/eos and the 256 byte tokens of the Llama vocab layout when the vocab is large enough to have them."""
    return 259 if vocab_size >= 512 else min(3, vocab_size - 1)


def _splitmix64(state):
    """One step of SplitMix64 (Steele, Lea & Flood 2014): returns (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return state, z ^ (z >> 31)


def bench_prompt(vocab_size, count, seed=PROMPT_SEED):
    """The ids every `minerva-native bench` run feeds; a shorter prompt is a prefix of a longer one."""
    if vocab_size < 2 or count < 0:
        raise ValueError(f"vocab {vocab_size} / count {count}")
    first = first_ordinary_id(vocab_size)
    span = vocab_size - first
    ids, state = [], seed & _MASK
    for _ in range(count):
        state, z = _splitmix64(state)
        ids.append(first + z % span)
    return ids


def check_prompt_reference():
    """BenchPartsTests pins Tokens(1 << 30, 1, seed: 0)[0] to SplitMix64's first output for seed 0."""
    want = 259 + 0xE220A8397B1DCDAF % ((1 << 30) - 259)
    got = bench_prompt(1 << 30, 1, seed=0)[0]
    if got != want:
        raise AssertionError(f"SplitMix64 drifted from BenchPrompt.cs: {got} != {want}")


def read_prompt_file(path):
    """Token ids from a file: a JSON array, or integers separated by commas and/or whitespace."""
    text = open(path, encoding="utf-8").read().strip()
    if text.startswith("["):
        return [int(x) for x in json.loads(text)]
    return [int(x) for x in text.replace(",", " ").split()]


# ---- the folder: config.json + model.safetensors (or shards listed by model.safetensors.index.json) ----

DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
               "F8_E4M3": 1, "F8_E5M2": 1}
TORCH_NAMES = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}
REQUIRED = ["hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers", "vocab_size"]


def read_config(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def read_safetensors_header(path):
    """{name: {"dtype", "shape", "data_offsets"}} of one .safetensors file (8-byte little-endian length, JSON)."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: shorter than a safetensors header")
        (n,) = struct.unpack("<Q", head)
        if n > 100 * 1024 * 1024:
            raise ValueError(f"{path}: header of {n} bytes")
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return header


def read_tensors(folder):
    """{name: (dtype, shape, bytes, file)} over the single file or every shard the index lists."""
    single = os.path.join(folder, "model.safetensors")
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(single):
        files = ["model.safetensors"]
    elif os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        raise FileNotFoundError(f"{folder}: neither model.safetensors nor model.safetensors.index.json")
    tensors = {}
    for name in files:
        for t, d in read_safetensors_header(os.path.join(folder, name)).items():
            count = 1
            for s in d["shape"]:
                count *= s
            tensors[t] = (d["dtype"], list(d["shape"]), count * DTYPE_BYTES.get(d["dtype"], 0), name)
    return tensors


def expected_shapes(cfg):
    """Every tensor LlamaForCausalLM loads, with its [out, in] shape, as transformers names it."""
    h, ffn, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads") or heads
    hd = cfg.get("head_dim") or h // heads
    shapes = {"model.embed_tokens.weight": [cfg["vocab_size"], h], "model.norm.weight": [h]}
    if not cfg.get("tie_word_embeddings", False):
        shapes["lm_head.weight"] = [cfg["vocab_size"], h]
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes.update({
            p + "input_layernorm.weight": [h], p + "post_attention_layernorm.weight": [h],
            p + "self_attn.q_proj.weight": [heads * hd, h], p + "self_attn.k_proj.weight": [kv * hd, h],
            p + "self_attn.v_proj.weight": [kv * hd, h], p + "self_attn.o_proj.weight": [h, heads * hd],
            p + "mlp.gate_proj.weight": [ffn, h], p + "mlp.up_proj.weight": [ffn, h], p + "mlp.down_proj.weight": [h, ffn],
        })
        if cfg.get("attention_bias", False):
            shapes.update({p + "self_attn.q_proj.bias": [heads * hd], p + "self_attn.k_proj.bias": [kv * hd],
                           p + "self_attn.v_proj.bias": [kv * hd], p + "self_attn.o_proj.bias": [h]})
    return shapes


def weight_bytes_per_token(tensors, tied):
    """Bytes a batch-1 decode step reads: every weight once, except the token embedding (one row per token) unless it
    doubles as the output matrix. The bench docs count the same way (docs/benchmarks/2026-11-26-h200)."""
    total = sum(b for _, _, b, _ in tensors.values())
    embed = 0 if tied else sum(b for n, (_, _, b, _) in tensors.items() if n.endswith("embed_tokens.weight"))
    return total, total - embed


def inspect_folder(folder, dtype=None, prompt_tokens=0, gen_tokens=0):
    """(facts, problems): facts about the folder, and every reason transformers' LlamaForCausalLM could not load it
    for this run (an empty list when it can)."""
    problems, facts = [], {"folder": os.path.abspath(folder)}
    if not os.path.isdir(folder):
        return facts, [f"{folder} is not a folder"]
    try:
        cfg = read_config(folder)
    except (OSError, ValueError) as e:
        return facts, [f"config.json: {e}"]
    archs = cfg.get("architectures") or []
    if cfg.get("model_type") != "llama" and "LlamaForCausalLM" not in archs:
        problems.append(f"config.json: model_type {cfg.get('model_type')!r}, architectures {archs}: not a Llama")
    missing = [k for k in REQUIRED if not isinstance(cfg.get(k), int)]
    if missing:
        return facts, problems + [f"config.json lacks {', '.join(missing)}"]
    facts["config"] = {k: cfg.get(k) for k in REQUIRED + ["num_key_value_heads", "head_dim", "max_position_embeddings",
                                                           "rope_theta", "rms_norm_eps", "tie_word_embeddings",
                                                           "torch_dtype", "dtype", "bos_token_id", "eos_token_id"]
                      if k in cfg}
    try:
        tensors = read_tensors(folder)
    except (OSError, ValueError, KeyError) as e:
        return facts, problems + [f"safetensors: {e}"]
    want = expected_shapes(cfg)
    absent = [n for n in want if n not in tensors]
    extra = [n for n in tensors if n not in want and not n.endswith("rotary_emb.inv_freq")]
    wrong = [f"{n} {tensors[n][1]} (config says {s})" for n, s in want.items() if n in tensors and tensors[n][1] != s]
    if absent:
        problems.append(f"{len(absent)} tensors missing, e.g. {absent[:3]}")
    if extra:
        problems.append(f"{len(extra)} tensors LlamaForCausalLM does not expect, e.g. {extra[:3]}")
    if wrong:
        problems.append(f"{len(wrong)} shapes differ from config.json, e.g. {wrong[:2]}")
    dtypes = sorted({d for d, _, _, _ in tensors.values()})
    tied = bool(cfg.get("tie_word_embeddings", False))
    total, per_token = weight_bytes_per_token(tensors, tied)
    facts.update({"tensors": len(tensors), "file_dtypes": dtypes, "param_bytes": total,
                  "weight_bytes_per_token": per_token, "parameters": sum(b // DTYPE_BYTES.get(d, 1) for d, _, b, _ in tensors.values())})
    if dtype and TORCH_NAMES.get(dtype) not in dtypes:
        facts["note"] = (f"the file holds {'/'.join(dtypes)}; transformers converts to {dtype} on load, and every weight "
                         f"then takes {2 if dtype != 'float32' else 4} bytes")
        scale = (2 if dtype != "float32" else 4) / DTYPE_BYTES.get(dtypes[0], 2)
        facts["weight_bytes_per_token"] = int(per_token * scale)
        facts["param_bytes"] = int(total * scale)
    ctx = cfg.get("max_position_embeddings")
    if ctx and prompt_tokens + gen_tokens > ctx:
        problems.append(f"{prompt_tokens} + {gen_tokens} tokens exceed max_position_embeddings {ctx}")
    return facts, problems
