"""Seconds per training step of the real SFT path, answer-only logits versus full logits.

    python tests/benchmarks/bench_train.py --profile cpu --steps 10 [--batch N] [--trainer]

Builds the student exactly as `Workflow.finetune` does (`Workflow.create(profile, "bundled")`,
`wf.base()`, `add_lora(model, profile, seed)`), encodes the seed set with `pada_lite.student.sft.encode`,
batches it with `LeftPadCollator` (seeded shuffle, the profile's batch size) and times a manual
step: forward + loss + backward + AdamW step on the trainable (LoRA) parameters. Each batch is
run twice, once with `answer_only_loss` (logits only where the answers are, as `finetune` does)
and once with the full-logits loss `model(..., labels=...).loss`, alternating which goes first;
the first 2 batches are warm-up, then the median over `--steps` batches is reported.
`--trainer` also runs `Workflow.finetune(max_steps=steps)` (the HF Trainer path) for its
end-to-end seconds per step (setup included, no warm-up excluded).
"""
from __future__ import annotations

import argparse
import random
import tempfile

from _common import (add_common_args, bundled_workflow, median, table, timed,
                     write_json)

WARMUP = 2


def full_logits_loss(model, batch):
    return model(**batch).loss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="tiny", choices=["tiny", "cpu"])
    ap.add_argument("--steps", type=int, default=10, help="timed steps per loss (after 2 warm-up steps)")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: the profile's)")
    ap.add_argument("--trainer", action="store_true", help="also time Workflow.finetune(max_steps=steps)")
    add_common_args(ap)
    args = ap.parse_args()

    threads, env, wf = bundled_workflow(args.profile, args.threads)
    import torch

    from pada_lite.student.sft import LeftPadCollator, answer_only_loss, encode
    from pada_lite.student.load import add_lora, trainable_parameters

    prof = wf.profile
    bs = args.batch or prof.batch_size
    model, tok = wf.base()
    model = add_lora(model, prof, seed=wf.seed)
    trainable, total = trainable_parameters(model)
    rows = [encode(wf.task, tok, ex, prof.max_len) for ex in wf.splits.train]
    random.Random(wf.seed).shuffle(rows)
    collate = LeftPadCollator(tok.pad_token_id)
    n_batches = WARMUP + args.steps
    batches = [collate([rows[(i * bs + j) % len(rows)] for j in range(bs)]) for i in range(n_batches)]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=prof.lr,
                            weight_decay=prof.weight_decay)
    dev = next(model.parameters()).device

    def step(loss_fn, batch):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model, batch)
        loss.backward()
        opt.step()
        return float(loss.detach())

    model.train()
    times = {"answer-only": [], "full-logits": []}
    fns = {"answer-only": answer_only_loss, "full-logits": full_logits_loss}
    for i, batch in enumerate(batches):
        batch = {k: v.to(dev) for k, v in batch.items()}
        order = list(fns) if i % 2 == 0 else list(fns)[::-1]   # alternate: neither always goes first
        for name in order:
            secs, _ = timed(step, fns[name], batch)
            if i >= WARMUP:
                times[name].append(secs)
    model.eval()

    seq = [b["input_ids"].shape[1] for b in batches[WARMUP:]]
    answer_tok = [int((b["labels"] != -100).sum()) for b in batches[WARMUP:]]
    kept = [b["labels"].shape[1] - int((b["labels"] != -100).any(0).nonzero()[0]) + 1 for b in batches[WARMUP:]]
    print(f"profile={args.profile} student={prof.student} device={dev} dtype={next(model.parameters()).dtype} "
          f"torch threads={threads}")
    print(f"batch size={bs}  sequence length (padded, median/min/max)={int(median(seq))}/{min(seq)}/{max(seq)} "
          f"(max_len {prof.max_len})  answer tokens/batch (median)={int(median(answer_tok))}  "
          f"logit positions kept by answer-only (median)={int(median(kept))}")
    print(f"trainable params={trainable:,} of {total:,} ({100 * trainable / total:.2f}%)  "
          f"lora r={prof.lora_r} modules_to_save={list(prof.lora_modules_to_save)}  "
          f"gradient checkpointing={prof.gradient_checkpointing}")
    results = {"env": env, "profile": args.profile, "batch_size": bs, "seq_len_median": median(seq),
               "seq_len_all": seq, "trainable_params": trainable, "total_params": total,
               "warmup_steps": WARMUP, "steps": args.steps, "method": "manual loop: forward+loss+backward+AdamW"}
    trows = []
    for name, ts in times.items():
        s = median(ts)
        results[name] = {"sec_per_step_median": s, "sec_all": ts, "tokens_per_s": bs * median(seq) / s}
        trows.append([name, s, min(ts), max(ts), bs / s, bs * median(seq) / s])
    ratio = results["full-logits"]["sec_per_step_median"] / results["answer-only"]["sec_per_step_median"]
    results["answer_only_speedup"] = ratio
    print()
    print(table(["loss", "sec/step (median)", "min", "max", "samples/s", "tokens/s"], trows,
                title=f"== manual SFT step, median of {args.steps} after {WARMUP} warm-up =="))
    print(f"\nanswer-only speed-up (full-logits sec/step / answer-only sec/step): {ratio:.2f}x")

    if args.trainer:
        with tempfile.TemporaryDirectory() as tmp:
            _, _, res = wf.finetune(max_steps=args.steps, output_dir=tmp)
        results["trainer"] = {"seconds": res.seconds, "steps": res.steps, "sec_per_step": res.seconds_per_step}
        print(f"finetune(max_steps={args.steps}) via HF Trainer, answer-only loss, end to end incl. setup: "
              f"{res.seconds:.2f}s for {res.steps} steps = {res.seconds_per_step:.3f} s/step "
              f"({res.seconds_per_step / results['answer-only']['sec_per_step_median']:.2f}x the manual step)")
    write_json(args.out, results)


if __name__ == "__main__":
    main()
