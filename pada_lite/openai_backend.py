"""A teacher backend for any OpenAI-compatible chat endpoint, and where its API key comes from.

`OpenAIBackend` sends one `Request` with the `openai` client (OpenAI, Azure, vLLM, Ollama,
LM Studio, ...) and returns a `Completion`. It asks for the reply format in three levels and
keeps the first one the server accepts:
1. structured outputs: a strict `json_schema` response format built from the pydantic model;
2. JSON mode (`{"type": "json_object"}`) with the JSON schema appended to the system message;
3. plain text with the schema in the prompt.
The client's own `max_retries` handles 429, 5xx and timeouts with backoff.

`resolve_api_key` looks in the environment, then Colab secrets, then asks (hidden input).

It deliberately does not parse, validate, cache, retry bad replies or count cost (see
`teacher.py`), and it never prints, logs or stores the key outside the client object.
"""
from __future__ import annotations

import getpass
import json
import os
import sys
import threading
import warnings
from urllib.parse import urlparse

from .teacher import Completion

LEVELS = ("json_schema", "json_object", "text")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")
SCHEMA_NOTE = ("Reply with one JSON object, and nothing else (no prose, no code fences), that validates "
               "against this JSON schema:\n")


def is_local(base_url: str | None) -> bool:
    return bool(base_url) and urlparse(base_url).hostname in LOCAL_HOSTS


def _interactive() -> bool:
    return "ipykernel" in sys.modules or bool(sys.stdin and sys.stdin.isatty())


def resolve_api_key(env=("PADA_API_KEY", "OPENAI_API_KEY"), colab_secret: str | None = "OPENAI_API_KEY",
                    prompt: bool = True) -> str | None:
    """The first key found in the environment variables `env`, else the Colab secret, else one
    typed at a hidden prompt (only when interactive and prompt=True); None if there is none."""
    for name in env:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    if colab_secret:
        try:
            from google.colab import userdata
        except ImportError:
            pass
        else:
            try:
                key = userdata.get(colab_secret)
            except Exception:   # subtle: a missing secret or notebook access not granted; keep looking
                key = None
            if key and key.strip():
                return key.strip()
    if prompt and _interactive():
        key = getpass.getpass("API key for the teacher endpoint (hidden; empty to skip): ").strip()
        return key or None
    return None


def strict_schema(schema) -> dict:
    """The `json_schema` response format for a pydantic model, as `chat.completions.parse` builds
    it, minus every `default` (strict mode requires all fields, and some servers reject `default`)."""
    from openai.lib._parsing import type_to_response_format_param

    def drop_defaults(x, names=False):   # names: x maps field names (a field may be called "default")
        if isinstance(x, dict):
            return {k: drop_defaults(v, k == "properties") for k, v in x.items() if names or k != "default"}
        return [drop_defaults(v) for v in x] if isinstance(x, list) else x
    return drop_defaults(type_to_response_format_param(schema))


def with_schema_note(messages: list[dict], schema) -> list[dict]:
    """A copy of the messages with the JSON schema appended to the system message (one is added if none)."""
    note = SCHEMA_NOTE + json.dumps(schema.model_json_schema())
    msgs = [dict(m) for m in messages]
    if msgs and msgs[0].get("role") == "system":
        msgs[0]["content"] = f"{msgs[0].get('content') or ''}\n\n{note}"
    else:
        msgs.insert(0, {"role": "system", "content": note})
    return msgs


class OpenAIBackend:
    name = "openai"
    simulated = False

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 60,
                 max_retries: int = 4, http_client=None):
        import openai
        local = is_local(base_url)
        key = api_key or resolve_api_key(prompt=not local) or ("not-needed" if local else None)
        if not key:
            raise ValueError("no API key for the teacher endpoint: set PADA_API_KEY or OPENAI_API_KEY (on Colab: a "
                             "secret named OPENAI_API_KEY), or pass api_key=...; a local server needs none")
        # subtle: the key lives only inside the client (which sends it as the Authorization header)
        self._client = openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=max_retries,
                                     http_client=http_client)
        self._bad_request = openai.BadRequestError
        self.base_url = str(self._client.base_url).rstrip("/")
        self.level = 0                  # index into LEVELS: the best reply format the server accepted
        self._lock = threading.Lock()

    def _format(self, request, level: int) -> dict:
        if level == 0:
            return {"messages": request.messages, "response_format": strict_schema(request.schema)}
        fmt = {"response_format": {"type": "json_object"}} if level == 1 else {}
        return {"messages": with_schema_note(request.messages, request.schema), **fmt}

    def complete(self, request, model: str) -> Completion:
        level = self.level
        while True:
            try:
                resp = self._client.chat.completions.create(
                    model=model, temperature=request.temperature, max_tokens=request.max_tokens,
                    seed=request.seed, **self._format(request, level))
                break
            except self._bad_request:
                # subtle: a 400 may be about anything (too long a prompt, say); step down a level,
                # but remember the lower level only once it has worked
                if level + 1 >= len(LEVELS):
                    raise
                level += 1
        with self._lock:
            if level > self.level:
                warnings.warn(f"{self.base_url} rejected the {LEVELS[self.level]} reply format; "
                              f"using {LEVELS[level]} from now on", stacklevel=2)
                self.level = level
        if not resp.choices:
            return Completion(text="", finish_reason="no_choices")
        choice, usage = resp.choices[0], resp.usage
        return Completion(text=choice.message.content or "",
                          prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                          completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                          finish_reason=choice.finish_reason or "stop",
                          refusal=getattr(choice.message, "refusal", None))

    def describe(self) -> str:
        return f"openai endpoint {self.base_url}"

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.describe()}, reply format {LEVELS[self.level]})"
