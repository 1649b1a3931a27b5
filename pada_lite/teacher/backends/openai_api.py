"""A teacher backend for any OpenAI-compatible chat endpoint, and where its API key comes from.

`OpenAIBackend.complete` sends one `Request` as exactly one HTTP request with the `openai`
client (OpenAI, Azure, vLLM, Ollama, LM Studio, llama.cpp's server, ...) and returns a
`Completion`. What a model accepts is kept per model in `Caps`:
- the reply format, in three levels: a strict `json_schema` response format, JSON mode
  (`{"type": "json_object"}`) with the JSON schema in the prompt, or plain text with the
  schema in the prompt; at every level the system message also lists the reply's fields and
  what each means (a small model served with a grammar otherwise fills them with bare labels);
- `max_tokens` or `max_completion_tokens` (OpenAI's reasoning models reject the first), and
  room for hidden reasoning tokens on a model that reports them;
- whether a temperature or a seed may be sent at all.
- the server's context in tokens per request, where it says so (`learn_context`: llama.cpp's
  `GET /props`, Ollama's `num_ctx`), so a run that cannot fit is stopped before it starts.
An HTTP 200 whose body is an error object (some proxies and gateways answer so) raises
`ErrorReply`, a server error with the server's message, not an empty reply.
`adapt(model, error)` reads a refusal (HTTP 400/422, or a 5xx that names the reply format)
and changes the caps so that the same request can be sent again; the pre-flight
(`preflight.py`) uses it to learn a model's caps before any work. The client's own retries
are off: the teacher retries, so every HTTP request is counted once.

`resolve_api_key` looks in the environment, then Colab secrets, then asks (hidden input).

It deliberately does not parse, validate, cache, retry or count cost (see `teacher/core.py`), and it
never prints, logs or stores the key outside the client it builds.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, replace
from urllib.parse import urlparse

from pada_lite.teacher.replies import error_body
from pada_lite.teacher.base import Completion, TeacherUnusable

LEVELS = ("json_schema", "json_object", "text")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")
OPENAI_URL = "https://api.openai.com/v1"
REASONING_TOKENS = 4096   # extra completion tokens a reasoning model may spend before it writes its reply
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


def field_lines(schema, indent: str = "") -> list[str]:
    """One line per reply field, with its type and meaning; nested models are listed below their field."""
    from pydantic import BaseModel
    lines = []
    for name, f in schema.model_fields.items():
        kind, inner = f.annotation, None
        args = getattr(kind, "__args__", ())
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            kind, inner = "a list of objects", args[0]
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            kind, inner = "an object", kind
        else:
            kind = {str: "string", bool: "true or false", int: "integer", float: "number"}.get(kind, "a list of strings"
                                                                                            if args == (str,) else str(kind))
        lines.append(f"{indent}- `{name}` ({kind}): {f.description or ''}".rstrip(": "))
        if inner is not None:
            lines += field_lines(inner, indent + "  ")
    return lines


def with_reply_note(messages: list[dict], schema, level: int) -> list[dict]:
    """A copy of the messages whose system message (one is added if none) lists the reply's fields
    and, below the strict json_schema level, also gives the JSON schema itself."""
    note = "Reply fields:\n" + "\n".join(field_lines(schema))
    if level > 0:
        note += "\n\n" + SCHEMA_NOTE + json.dumps(schema.model_json_schema())
    msgs = [dict(m) for m in messages]
    if msgs and msgs[0].get("role") == "system":
        msgs[0]["content"] = f"{msgs[0].get('content') or ''}\n\n{note}"
    else:
        msgs.insert(0, {"role": "system", "content": note})
    return msgs


class ErrorReply(Exception):
    """HTTP 200 with `{"error": ...}` as its body: the server failed; retried as a server error."""
    status_code = 200

    def __init__(self, error):
        self.body = {"error": error if isinstance(error, dict) else {"message": str(error)}}
        super().__init__(self.body["error"].get("message") or "an error object instead of a reply")


@dataclass
class Caps:
    """What one model at this endpoint accepts; learnt by the pre-flight or from refusals."""
    level: int = 0                      # index into LEVELS
    token_param: str = "max_tokens"     # or "max_completion_tokens"
    temperature: bool = True            # False: only the default temperature is accepted, so none is sent
    seed: bool = True
    reasoning: bool = False             # spends hidden reasoning tokens: room is added for them
    context: int | None = None          # tokens of prompt + reply one request may hold, where the server says
    slots: int = 1                      # llama-server's parallel slots: its -c is shared among them
    tokens_per_char: float = 0.0        # of the server's tokenizer, measured on the check's prompt

    def describe(self) -> str:
        parts = [f"{LEVELS[self.level]} replies", self.token_param]
        parts += [] if self.temperature else ["default temperature only"]
        parts += [] if self.seed else ["no seed"]
        parts += ["reasoning model"] if self.reasoning else []
        parts += [f"context {self.context} tokens"] if self.context else []
        return ", ".join(parts)


class OpenAIBackend:
    name = "openai"
    simulated = False

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 60,
                 http_client=None, reasoning_tokens: int = REASONING_TOKENS):
        import openai
        local = is_local(base_url)
        key = api_key or resolve_api_key(prompt=not local) or ("not-needed" if local else None)
        if not key:
            raise TeacherUnusable("no API key for the teacher endpoint: set PADA_API_KEY or OPENAI_API_KEY (on Colab: a "
                                  "secret named OPENAI_API_KEY), or pass api_key=...; a local server needs none")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/")
        self.timeout, self.reasoning_tokens = float(timeout), reasoning_tokens
        # subtle: the key lives only in this closure and the client it builds (as the Authorization header);
        # the client's own retries are off, so every HTTP request is one the teacher counted
        self._new_client = lambda: openai.OpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout,
                                                 max_retries=0, http_client=http_client)
        self._client, self.caps, self._lock = None, {}, threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def close(self) -> None:
        """Close the connections (calls in flight are abandoned); the next call opens new ones."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:
                pass

    def caps_for(self, model: str) -> Caps:
        with self._lock:
            return self.caps.setdefault(model, Caps())

    def token_cap(self, request, model: str) -> int:
        """The completion-token limit sent with `request`: its max_tokens, plus room to reason (but
        for the pre-flight check: a reply cut short by the limit still proves the model answers)."""
        room = self.caps_for(model).reasoning and request.stage != "preflight"
        return request.max_tokens + (self.reasoning_tokens if room else 0)

    def sent_chars(self, request, model: str) -> int:
        """The characters of `request`'s messages as they are sent to `model` (its reply note included)."""
        msgs = with_reply_note(request.messages, request.schema, self.caps_for(model).level)
        return sum(len(str(m.get("content") or "")) for m in msgs)

    def learn_context(self, model: str) -> int | None:
        """The server's context per request, where it says so: llama.cpp's `GET /props`, else Ollama's
        `num_ctx` (`POST /api/show`, then the loaded model in `GET /api/ps`). Best-effort: a server that
        does not say is no error."""
        root, caps = self.base_url.removesuffix("/v1"), self.caps_for(model)

        def ask(method: str, path: str, **kw):
            try:   # subtle: the client sends the key, as a server started with --api-key wants; no retries
                return getattr(self._get_client(), method)(root + path, cast_to=object,
                                                            options={"timeout": min(self.timeout, 10.0)}, **kw)
            except Exception:
                return None
        props = ask("get", "/props")
        if isinstance(props, dict):
            n = (props.get("default_generation_settings") or {}).get("n_ctx") or props.get("n_ctx")
            if isinstance(n, int) and n > 0:
                caps.context, caps.slots = n, max(int(props.get("total_slots") or 1), 1)
                return n
        show = ask("post", "/api/show", body={"model": model})
        params = show.get("parameters") if isinstance(show, dict) else None
        m = re.search(r"^\s*num_ctx\s+(\d+)", params or "", re.M) if isinstance(params, str) else None
        if m:
            caps.context = int(m.group(1))
            return caps.context
        ps = ask("get", "/api/ps") if isinstance(show, dict) else None
        for run in (ps or {}).get("models", []) if isinstance(ps, dict) else []:
            if run.get("name") == model or run.get("model") == model:
                n = run.get("context_length")
                if isinstance(n, int) and n > 0:
                    caps.context = n
                    return n
        return None

    def _params(self, request, model: str) -> dict:
        caps = self.caps_for(model)
        kw = {"model": model, "messages": with_reply_note(request.messages, request.schema, caps.level),
              caps.token_param: self.token_cap(request, model)}
        if caps.level == 0:
            kw["response_format"] = strict_schema(request.schema)
        elif caps.level == 1:
            kw["response_format"] = {"type": "json_object"}
        if caps.temperature:
            kw["temperature"] = request.temperature
        if caps.seed:
            kw["seed"] = request.seed
        return kw

    def complete(self, request, model: str) -> Completion:
        sent_with = replace(self.caps_for(model))
        try:
            resp = self._get_client().chat.completions.create(**self._params(request, model))
        except Exception as e:
            e.pada_caps = sent_with   # what this request was sent with: `adapt` compares it with now
            raise
        usage = resp.usage
        details = getattr(usage, "completion_tokens_details", None)
        reasoning = getattr(details, "reasoning_tokens", 0) or 0
        if reasoning:
            self.caps_for(model).reasoning = True
        if not resp.choices:
            error = getattr(resp, "error", None)   # subtle: the client keeps a body's unknown fields
            if error:
                raise ErrorReply(error)
            return Completion(text="", finish_reason="no_choices")
        choice = resp.choices[0]
        return Completion(text=choice.message.content or "",
                          prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                          completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                          finish_reason=choice.finish_reason or "stop",
                          refusal=getattr(choice.message, "refusal", None), reasoning_tokens=reasoning)

    def adapt(self, model: str, e: BaseException, probing: bool = False) -> str | None:
        """Change what is sent to `model` after the refusal `e`, if the refusal says how; returns what
        changed ("" when it had already changed since `e`'s request was sent), or None: nothing to
        change. `probing` (the pre-flight): any other 4xx or 5xx steps the reply format down."""
        status, param, msg = error_body(e)
        if status is None:
            return None
        low, caps = msg.lower(), self.caps_for(model)
        with self._lock:
            if getattr(e, "pada_caps", caps) != caps:
                return ""   # another request has adapted since this one was sent: send it again as it is now
            if status in (400, 422):
                if caps.token_param == "max_tokens" and "max_completion_tokens" in low and (param == "max_tokens" or "max_tokens" in low):
                    caps.token_param, caps.reasoning = "max_completion_tokens", True
                    return "max_completion_tokens instead of max_tokens (a reasoning model)"
                if caps.temperature and (param == "temperature" or "temperature" in low):
                    caps.temperature = False
                    return "no temperature (the model takes only its default)"
                if caps.seed and (param == "seed" or "'seed'" in low):
                    caps.seed = False
                    return "no seed"
            about_format = param == "response_format" or any(w in low for w in ("response_format", "json_schema",
                                                                                 "json_object", "response format"))
            if caps.level + 1 < len(LEVELS) and ((about_format and (status in (400, 422) or status >= 500))
                                                 or (probing and (status in (400, 422) or status >= 500))):
                caps.level += 1
                return f"{LEVELS[caps.level]} replies (HTTP {status} to {LEVELS[caps.level - 1]}: {msg[:120]})"
        return None

    def set_level(self, model: str, level: int) -> None:
        self.caps_for(model).level = level

    def describe(self) -> str:
        return f"openai endpoint {self.base_url}"

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.describe()}, " + "; ".join(f"{m}: {c.describe()}" for m, c in self.caps.items()) + ")"
