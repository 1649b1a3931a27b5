"""Small helpers shared by the benchmark scripts: environment line, timing, tables, JSON.

Imports only the standard library and torch (never `pada_lite.tasks.data`/`workflow`), so
`gpu_qlora.py` can use it on a machine without `datasets`/`openai`.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")          # benchmarks never touch the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# `python tests/benchmarks/NAME.py` from a checkout: make `pada_lite` importable without installing
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def add_common_args(ap) -> None:
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--out", default=None, help="write the results as JSON to this file")


def setup_threads(threads: int | None) -> int:
    import torch
    if threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def environment() -> dict:
    import torch
    import transformers
    env = {"python": platform.python_version(), "torch": torch.__version__,
           "transformers": transformers.__version__, "torch_threads": torch.get_num_threads(),
           "cpu_count": os.cpu_count(), "cuda": torch.cuda.is_available()}
    if hasattr(os, "getloadavg"):
        env["loadavg_1m"] = round(os.getloadavg()[0], 2)   # > cores: other work is competing
    env.update(cpu_facts())
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


# the CPU flags that change which kernels run: bitsandbytes' packed 4-bit kernel needs avx512_bf16,
# torch's bf16 and int8 paths use AMX where it exists
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu_facts() -> dict:
    """The CPU's model name and which of CPU_FLAGS it lists (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return {"cpu": model, "cpu_flags": ",".join(f for f in CPU_FLAGS if f in flags) or "none of " + ",".join(CPU_FLAGS)}


def print_environment(env: dict) -> None:
    print(" | ".join(f"{k}={v}" for k, v in env.items()))
    print("note: timings are medians of repeats; other processes on this machine add noise", flush=True)


def bundled_workflow(profile: str, threads: int | None):
    """Threads set, environment printed, the bundled task loaded: (threads, env, Workflow)."""
    n = setup_threads(threads)
    from pada_lite.student.workflow import Workflow
    env = environment()
    print_environment(env)
    return n, env, Workflow.create(profile, "bundled", progress=False)


def sync() -> None:
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    """(seconds, result) of one call, with CUDA synchronised on both sides."""
    sync()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    sync()
    return time.perf_counter() - t0, out


def median(xs) -> float:
    xs = list(xs)
    return statistics.median(xs) if xs else float("nan")


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    """A plain-text table; floats get 3 significant decimals, everything else str()."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.1f}"
        return str(v)
    cells = [[fmt(v) for v in r] for r in rows]
    w = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w[0]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(headers))
    out = ([title] if title else []) + [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) for r in cells]
    return "\n".join(out)


def write_json(path: str | None, results: dict) -> None:
    if not path:
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {p}")


# ---- memory: the GPU's, or the process's resident set on the CPU

def _proc_status_gib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20   # kB -> GiB
    return float("nan")


def mem_reset() -> None:
    import torch
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        return
    try:   # Linux: "5" resets the peak RSS (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def mem_now() -> dict:
    import torch
    if torch.cuda.is_available():
        return {"allocated_gib": torch.cuda.memory_allocated() / 2**30,
                "reserved_gib": torch.cuda.memory_reserved() / 2**30}
    return {"rss_gib": _proc_status_gib("VmRSS")}


def mem_peak() -> dict:
    import torch
    if torch.cuda.is_available():
        return {"peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30,
                "peak_allocated_gib": torch.cuda.max_memory_allocated() / 2**30}
    return {"peak_rss_gib": _proc_status_gib("VmHWM")}
