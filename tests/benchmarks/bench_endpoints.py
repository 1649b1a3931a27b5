"""What a user sees when the teacher endpoint misbehaves: the command, its exit code, its last
line, how long it took and how many requests the server received, one row per fault.

    python tests/benchmarks/bench_endpoints.py [--rows refused,401,...] [--timeout-default]

Each row runs the real command line in a subprocess (`python -m pada_lite run --teacher openai
--methods sft,pada --iterations 1`, the tiny profile, the bundled task) against the loopback
fake endpoint (`tests/fake_openai.py`) set up to misbehave one way. Seconds are wall time from
starting the process to its exit, imports included; "first request" is when the server first
heard from the run. `--timeout-default` adds the stalled server at the default `--timeout` (60 s).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from _common import ROOT, table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the fake endpoint
from fake_openai import FakeOpenAI, helpdesk_responder  # noqa: E402

BASE = ["run", "--teacher", "openai", "--methods", "sft,pada", "--iterations", "1", "--quiet"]


def broken(share: float):
    """Replies that do not validate for `share` of the requests (by a hash of the prompt)."""
    def respond(body):
        name = "ErrorAnalysis" if "Gold answer" in str(body["messages"]) else None
        if name and zlib.crc32(str(body["messages"]).encode()) % 100 < share * 100:
            return {"unexpected": "fields"}
        return helpdesk_responder(body)
    return respond


def closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"


ROWS = {   # name: (what the endpoint does, fake knobs or None for a closed port, extra flags, Ctrl-C after n requests)
    "refused": ("nothing listens at --base-url", None, [], None),
    "401": ("401 on every call (wrong key)", dict(api_key="sk-the-right-one"), [], None),
    "404": ("404 (unknown model)", dict(models={"gpt-4.1-mini", "gpt-4o-mini"}), ["--model", "gpt-4.1-mimi"], None),
    "reasoning": ("reasoning model: 400 on max_tokens and on temperature != 1",
                  dict(reasoning=True, responder=helpdesk_responder), ["--model", "o-fake", "--price", "o-fake=1.1,4.4",
                                                                       "--budget", "1", "--samples", "40"], None),
    "stalled": ("accepts the connection and never answers (--timeout 10)", dict(stall_after=0), ["--timeout", "10"], None),
    "ctrl-c": ("answers the check, then stalls; Ctrl-C mid-stage", dict(stall_after=3, responder=helpdesk_responder),
               [], 4),
    "broken": ("88% of analysis replies broken", dict(responder=broken(0.88)), [], None),
}


def run_row(name: str, runs: Path) -> dict:
    what, knobs, flags, interrupt_after = ROWS[name]
    fake = FakeOpenAI(**knobs).start() if knobs is not None else None
    url = fake.base_url if fake else closed_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PADA_RUNS": str(runs), "PADA_API_KEY": "sk-a-wrong-key-0000",
           "HF_HUB_OFFLINE": "1"}
    argv = [sys.executable, "-m", "pada_lite", *BASE, "--base-url", url, "--run", name, *flags]
    t0 = time.time()
    proc = subprocess.Popen(argv, env=env, cwd=runs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    signalled = None
    if interrupt_after is not None:
        while fake.counts["requests"] < interrupt_after and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)
        signalled = time.time()
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=1800)
    end = time.time()
    if fake:
        fake.close()
    requests = fake.requests if fake else []
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("Loading", "warning: teacher"))]
    last = lines[-1] if lines and proc.returncode else [ln for ln in out.splitlines() if ln.strip()][-1]
    row = {"row": name, "endpoint": what, "rc": proc.returncode, "seconds": round(end - t0, 1),
           "requests": len(requests), "first_request_s": round(requests[0]["time"] - t0, 1) if requests else None,
           "line": last.replace(url, "URL")}
    if signalled is not None:
        row["exit_after_ctrl_c_s"] = round(end - signalled, 2)
        row["requests_after_ctrl_c"] = sum(r["time"] > signalled for r in requests)
    if name == "reasoning":
        row["refused_400"] = fake.counts["refused_400"]
        acc = [ln for ln in out.splitlines() if "generated," in ln]
        row["line"] = acc[-1] if acc else row["line"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}")
    ap.add_argument("--timeout-default", action="store_true", help="also the stalled server at the default --timeout")
    ap.add_argument("--out", default=None, help="write the results as JSON to this file")
    args = ap.parse_args()
    if args.timeout_default:
        ROWS["stalled-60"] = ("accepts the connection and never answers (default --timeout)", dict(stall_after=0), [], None)
    names = [n for n in args.rows.split(",") if n] + (["stalled-60"] if args.timeout_default else [])
    print(f"python {sys.version.split()[0]} | cpu_count={os.cpu_count()} | loadavg_1m={os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows.append(run_row(name, Path(tmp)))
            print(f"{name}: rc {rows[-1]['rc']} in {rows[-1]['seconds']} s", flush=True)
    print()
    print(table(["row", "rc", "seconds", "requests", "first_request_s", "exit_after_ctrl_c_s", "requests_after_ctrl_c"],
                [[r.get(k, "") for k in ("row", "rc", "seconds", "requests", "first_request_s", "exit_after_ctrl_c_s",
                                         "requests_after_ctrl_c")] for r in rows]))
    print()
    for r in rows:
        print(f"{r['row']:<10} {r['endpoint']}\n           -> {r['line']}")
    if args.out:
        write_json(args.out, {"rows": rows})


if __name__ == "__main__":
    main()
