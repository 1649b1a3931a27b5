"""QLoRA memory and speed of a Llama-3.2-1B-shaped student, as the `colab` profile trains it.

    python tests/benchmarks/gpu_qlora.py [--shape llama-3.2-1b|tiny] [--seq 512] [--batch 8] [--steps 10]
                                   [--loss answer|full|both] [--gen-batches 1 16 32]

Builds a `LlamaForCausalLM` with random weights from the config below (no download, no
tokenizer: random token ids), saves it to a temp folder in the compute dtype, loads it back
in 4-bit with `from_pretrained(..., quantization_config=pada_lite.student.load.bnb_config(),
device_map=...)`, wraps it with `pada_lite.student.load.add_lora(model, get_profile("colab"))`
(LoRA r=16 on every projection, `prepare_model_for_kbit_training`, gradient checkpointing),
then measures:
- peak GPU memory (max_memory_reserved / max_memory_allocated) and tokens/s of QLoRA training
  steps (forward + loss + backward + AdamW on the LoRA params, bf16 autocast as the Trainer
  does) with `--loss answer` (`pada_lite.student.sft.answer_only_loss`, the kit's loss: each row is
  `--seq` tokens whose last `--answer-tokens` are labels) and/or `--loss full` (plain causal
  LM loss over every token: `model(..., labels=input_ids).loss`);
- batched greedy generation throughput (prompt `--prompt` tokens, exactly `--new` new tokens).

`--shape tiny` runs a tiny shape through the same code (on the GPU if there is one). Without
CUDA the tiny shape is always used, on the CPU (bitsandbytes 4-bit works there); memory is
then the process's RSS, and the run is only a smoke test.
Imports only torch, transformers, peft, bitsandbytes and `pada_lite.{profiles,student,sft}`.
"""
from __future__ import annotations

import argparse
import tempfile

from _common import (add_common_args, environment, median, mem_now, mem_peak, mem_reset, print_environment,
                     setup_threads, table, timed, write_json)

ANCHOR = "a published Colab run of Llama 3.2 1B 4-bit LoRA r=16 peaked at about 2.2 GB reserved"
TARGET_GIB = 3.0

LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
SHAPES = {
    # meta-llama/Llama-3.2-1B(-Instruct) config.json; pad = <|finetune_right_pad_id|>, eos = <|eot_id|>
    "llama-3.2-1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                         num_key_value_heads=8, head_dim=64, vocab_size=128256, max_position_embeddings=131072,
                         rms_norm_eps=1e-5, tie_word_embeddings=True, rope_parameters=LLAMA3_ROPE,
                         bos_token_id=128000, eos_token_id=128009, pad_token_id=128004),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, vocab_size=1000, max_position_embeddings=131072,
                 rms_norm_eps=1e-5, tie_word_embeddings=True, rope_parameters=LLAMA3_ROPE,
                 bos_token_id=1, eos_token_id=2, pad_token_id=0),
}
# run sizes when a flag is not given
DEFAULTS = {"llama-3.2-1b": dict(seq=512, batch=8, prompt=128, new=32, gen_batches=[1, 16, 32]),
            "tiny": dict(seq=64, batch=2, prompt=16, new=8, gen_batches=[1, 2, 4])}
WARMUP = 2


# ------------------------------------------------------------------ model

def build_and_save(shape: dict, folder: str, dtype) -> int:
    """Random-weight LlamaForCausalLM of this shape, saved to `folder` in `dtype`; returns its size."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(**shape)
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):   # init on the GPU: seconds, not minutes
        model = LlamaForCausalLM(cfg).to(dtype)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder)
    del model
    return n


def load_4bit(folder: str, dtype):
    import torch
    from transformers import AutoModelForCausalLM

    from pada_lite.student.load import bnb_config
    device_map = {"": 0} if torch.cuda.is_available() else {"": "cpu"}
    return AutoModelForCausalLM.from_pretrained(folder, quantization_config=bnb_config(dtype),
                                                device_map=device_map, dtype=dtype)


def make_batch(vocab: int, seq: int, batch: int, answer_tokens: int, pad_id: int, gen):
    import torch

    from pada_lite.student.sft import LeftPadCollator
    rows = []
    for _ in range(batch):
        ids = torch.randint(3, vocab, (seq,), generator=gen).tolist()
        rows.append({"input_ids": ids, "labels": [-100] * (seq - answer_tokens) + ids[seq - answer_tokens:]})
    return LeftPadCollator(pad_id)(rows)


def full_lm_loss(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                 position_ids=batch["position_ids"], labels=batch["input_ids"]).loss


def train_phase(model, opt, batches, loss_fn, dtype) -> dict:
    import contextlib

    import torch
    cuda = torch.cuda.is_available()
    amp = torch.autocast("cuda", dtype=dtype) if cuda else contextlib.nullcontext()

    def step(batch):
        opt.zero_grad(set_to_none=True)
        with amp:
            loss = loss_fn(model, batch)
        loss.backward()
        opt.step()
        return float(loss.detach())

    model.train()
    mem_reset()
    times, losses = [], []
    for i, b in enumerate(batches):
        secs, loss = timed(step, b)
        losses.append(loss)
        if i >= WARMUP:
            times.append(secs)
    model.eval()
    return {"sec_per_step_median": median(times), "sec_all": times, "losses": losses, **mem_peak()}


def gen_phase(model, vocab: int, batch: int, prompt: int, new: int, pad_id: int, eos_id: int, repeats: int,
              gen) -> dict:
    import torch
    dev = next(model.parameters()).device
    ids = torch.randint(3, vocab, (batch, prompt), generator=gen).to(dev)
    kw = dict(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
              do_sample=False, pad_token_id=pad_id, eos_token_id=eos_id)
    with torch.no_grad():
        model.generate(**{**kw, "max_new_tokens": 2, "min_new_tokens": 2})   # warm-up
        mem_reset()
        runs = [timed(model.generate, **kw) for _ in range(repeats)]
    secs = median(t for t, _ in runs)
    made = runs[0][1].shape[1] - prompt
    return {"batch": batch, "seconds_median": secs, "new_tokens_per_row": made,
            "tokens_per_s": batch * made / secs, **mem_peak()}


# ------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="llama-3.2-1b", choices=list(SHAPES))
    ap.add_argument("--seq", type=int, default=None, help="training sequence length (1b: 512, tiny: 64)")
    ap.add_argument("--batch", type=int, default=None, help="training batch size (1b: 8, tiny: 2)")
    ap.add_argument("--steps", type=int, default=10, help=f"timed training steps per loss (after {WARMUP} warm-up)")
    ap.add_argument("--answer-tokens", type=int, default=8, help="labelled tokens at the end of each row")
    ap.add_argument("--loss", default="both", choices=["answer", "full", "both"])
    ap.add_argument("--gen-batches", type=int, nargs="+", default=None, help="(1b: 1 16 32, tiny: 1 2 4)")
    ap.add_argument("--prompt", type=int, default=None, help="generation prompt tokens (1b: 128, tiny: 16)")
    ap.add_argument("--new", type=int, default=None, help="generated tokens per row (1b: 32, tiny: 8)")
    ap.add_argument("--gen-repeats", type=int, default=3)
    add_common_args(ap)
    args = ap.parse_args()

    threads = setup_threads(args.threads)
    import importlib.metadata as md

    import torch

    from pada_lite.student.profiles import get_profile
    from pada_lite.student.sft import answer_only_loss
    from pada_lite.student.load import add_lora, compute_dtype, trainable_parameters

    cuda = torch.cuda.is_available()
    shape_name = args.shape if cuda else "tiny"
    d = DEFAULTS[shape_name]
    seq, bs = args.seq or d["seq"], args.batch or d["batch"]
    prompt, new, gen_batches = args.prompt or d["prompt"], args.new or d["new"], args.gen_batches or d["gen_batches"]
    shape = SHAPES[shape_name]
    prof = get_profile("colab")
    dtype = compute_dtype()
    env = environment()
    for pkg in ("peft", "bitsandbytes", "accelerate"):
        try:
            env[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            env[pkg] = "missing"
    print_environment(env)
    smoke = not cuda
    if smoke:
        print("=" * 78)
        print(f"CPU SMOKE RUN: no CUDA{' (--shape ' + args.shape + ' ignored)' if args.shape != 'tiny' else ''}; "
              "tiny shape, memory = process RSS; figures say nothing about the GPU target")
        print("=" * 78)
    elif args.shape == "tiny":
        print("note: --shape tiny on a GPU: a smoke run, the target applies to llama-3.2-1b only")
    print(f"shape={shape_name} hidden={shape['hidden_size']} layers={shape['num_hidden_layers']} "
          f"vocab={shape['vocab_size']} compute dtype={dtype} torch threads={threads}")

    results = {"env": env, "shape": shape_name, "smoke": smoke or shape_name != "llama-3.2-1b", "seq": seq,
               "batch": bs, "answer_tokens": args.answer_tokens, "profile": prof.to_dict()}
    gen = torch.Generator().manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="qlora-bench-") as folder:
        build_s, n_params = timed(build_and_save, shape, folder, dtype)
        mem_reset()   # the peak below covers loading, LoRA wrapping and training, as a Colab session's would
        load_s, model = timed(load_4bit, folder, dtype)
    mem_loaded = mem_now()
    if not cuda:   # which bitsandbytes CPU kernel the evaluation below runs (packed needs avx512_bf16)
        from pada_lite.student.load import set_cpu_4bit_path
        env["bnb_cpu_kernel"] = results["env"]["bnb_cpu_kernel"] = "+".join(sorted(set(set_cpu_4bit_path(model).values())))
        print(f"bitsandbytes CPU kernel in eval: {env['bnb_cpu_kernel']} (cpu flags: {env.get('cpu_flags', '?')})")
    model = add_lora(model, prof)
    mem_lora = mem_now()
    peak_setup = mem_peak()
    trainable, total = trainable_parameters(model)
    print(f"params={n_params:,} (random init, built+saved in {build_s:.1f}s, loaded 4-bit in {load_s:.1f}s)  "
          f"trainable LoRA params={trainable:,}  r={prof.lora_r} alpha={prof.lora_alpha} "
          f"gradient checkpointing={prof.gradient_checkpointing}  use_cache={model.config.use_cache}")
    results.update(n_params=n_params, trainable_params=trainable, build_seconds=build_s, load_seconds=load_s,
                   mem_after_load=mem_loaded, mem_after_lora=mem_lora, peak_through_setup=peak_setup)

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=prof.lr,
                            weight_decay=prof.weight_decay)
    dev = next(model.parameters()).device
    batches = [{k: v.to(dev) for k, v in make_batch(shape["vocab_size"], seq, bs, args.answer_tokens,
                                                    shape["pad_token_id"], gen).items()}
               for _ in range(WARMUP + args.steps)]
    losses = {"answer": ("answer-only (kit)", answer_only_loss), "full": ("full LM, all tokens", full_lm_loss)}
    wanted = ["answer", "full"] if args.loss == "both" else [args.loss]
    results["train"] = {}
    for key in wanted:
        name, fn = losses[key]
        r = train_phase(model, opt, batches, fn, dtype)
        r["tokens_per_s"] = bs * seq / r["sec_per_step_median"]
        results["train"][key] = r
    results["use_cache_after_training"] = model.config.use_cache
    results["generate"] = [gen_phase(model, shape["vocab_size"], b, prompt, new, shape["pad_token_id"],
                                     shape["eos_token_id"], args.gen_repeats, gen) for b in gen_batches]

    # ---------------- report
    mk = ("peak_reserved_gib", "peak_allocated_gib") if cuda else ("peak_rss_gib",)
    mlabel = ["peak reserved GiB", "peak alloc GiB"] if cuda else ["peak RSS GiB (process)"]
    now = (lambda m: f"{m['allocated_gib']:.2f} alloc / {m['reserved_gib']:.2f} reserved GiB") if cuda else \
        (lambda m: f"{m['rss_gib']:.2f} GiB RSS")
    print(f"memory after 4-bit load: {now(mem_loaded)};  after add_lora (norms/embeddings to fp32): {now(mem_lora)};"
          f"  peak through setup: {', '.join(f'{peak_setup[k]:.2f}' for k in mk)} GiB")
    print()
    trows = [[losses[k][0], seq, bs, r["sec_per_step_median"], r["tokens_per_s"], *(r[k2] for k2 in mk),
              f"{r['losses'][0]:.2f} -> {r['losses'][-1]:.2f}"] for k, r in results["train"].items()]
    print(table(["loss", "seq", "batch", "sec/step", "train tok/s", *mlabel, "loss first->last"], trows,
                title=f"== QLoRA training, median of {args.steps} steps after {WARMUP} warm-up "
                      f"(peaks from the start of each phase) =="))
    if len(results["train"]) == 2:
        a, f = results["train"]["answer"], results["train"]["full"]
        print(f"ratios full/answer-only: sec/step {f['sec_per_step_median'] / a['sec_per_step_median']:.2f}x, "
              + ", ".join(f"{lab} {f[k] / a[k]:.2f}x" for lab, k in zip(mlabel, mk)))
    print()
    g0 = results["generate"][0]
    grows = [[f"batch {g['batch']}", prompt, g["new_tokens_per_row"], g["seconds_median"], g["tokens_per_s"],
              g["tokens_per_s"] / g0["tokens_per_s"], *(g[k] for k in mk)] for g in results["generate"]]
    print(table(["generate (greedy)", "prompt", "new", "sec (median)", "tok/s", f"x batch {g0['batch']}",
                 *mlabel], grows, title=f"== batched generation, median of {args.gen_repeats} "
                       f"(config.use_cache={results['use_cache_after_training']}) =="))

    # the whole-session peak, as a Colab notebook would read it at the end: setup + training with the kit's loss
    print(f"\nanchor: {ANCHOR}")
    if smoke or shape_name != "llama-3.2-1b":
        verdict, peak = "n/a (smoke run: not the 1B shape on a GPU)", None
    else:
        key = "answer" if "answer" in results["train"] else "full"
        peak = max(peak_setup["peak_reserved_gib"], results["train"][key]["peak_reserved_gib"])
        verdict = "PASS" if peak <= TARGET_GIB else "FAIL"
        print(f"peak reserved, load + LoRA + training ({losses[key][0]} loss, seq {seq}, batch {bs}): "
              f"{peak:.2f} GiB ({peak * 2**30 / 1e9:.2f} GB)")
    print(f"target: peak reserved <= {TARGET_GIB:.0f} GB (torch's /2**30 GiB, as Colab notebooks print it) -> {verdict}")
    results["target"] = {"anchor": ANCHOR, "target_gib": TARGET_GIB, "peak_reserved_gib": peak, "verdict": verdict}
    write_json(args.out, results)


if __name__ == "__main__":
    main()
