"""A loopback fake of an OpenAI-compatible chat endpoint, for tests and benchmarks.

    with FakeOpenAI(latency=0.2, faults=["429", "ok"]) as fake:
        OpenAIBackend(base_url=fake.base_url, api_key="sk-test")...

Serves POST /v1/chat/completions in the OpenAI wire format from a `ThreadingHTTPServer` on
127.0.0.1 (a free port) in a daemon thread. It shuts down on exit and, whatever happens,
after `watchdog` seconds. Knobs:
- `latency`: seconds slept per answered call;
- `responder(body) -> dict`: the JSON object to answer; the default fills a valid object for
  each of the five reply schemas, reading the schema name from `response_format` or the prompt;
- `faults`: consumed in order, one per request that reaches the answering stage, of "ok",
  "429", "500", "timeout" (sleeps `timeout_sleep`, past the client's timeout), "malformed"
  (content not JSON), "refusal", "truncated" (finish_reason "length", cut JSON),
  "bad_schema" (valid JSON, wrong fields) and "error_200" (HTTP 200 with an error object as its
  body, "upstream model overloaded", as some proxies and gateways answer), and two that are not
  worth retrying: "400" (a bad request for another reason than the format) and "401" (a
  rejected key); when the list runs out every call is "ok";
- `supports_schema=False`: `format_status` (400; llama-cpp-python's own server: 500) on a
  json_schema response format (not counted as a fault); `supports_json_mode=False`: the same
  on {"type": "json_object"} too;
- endpoint-level faults, checked before anything else: `api_key` (any other key gets 401),
  `models` (any other model gets 404), `reasoning=True` (a reasoning model: 400 on `max_tokens`
  and on a temperature other than 1, OpenAI's own messages; replies report hidden reasoning
  tokens), and `stall_after=n` (from request n+1 on, accept and never answer);
- `ignores_schema=True`: a json_schema response format is accepted and ignored (prose comes
  back), as `transformers serve` was seen to do; JSON mode works. `prose=True`: every reply is
  prose, whatever the format (a server and model that cannot write JSON);
- `context=n`: a llama.cpp-like context of n tokens per request: `GET /props` says so (unless
  `props=False`), a prompt that does not fit gets llama.cpp's 400, and a reply that would pass it
  is cut where prompt + completion = n (finish_reason "length"); `ollama_num_ctx=n`: Ollama's
  `POST /api/show` (`num_ctx` in its parameters) says n instead.
Every POST but `/api/show`: its body, its headers (names in lower case) and its arrival time are
recorded (`requests`); counters are thread-safe.

Use as a context manager, or as the pytest fixture `fake_openai` (import it into a test module).
It deliberately does not check auth, stream, or implement any other route.
"""
from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import pytest
except ImportError:   # benchmarks may run without pytest installed
    pytest = None

SAMPLES = {
    "ErrorAnalysis": {"error_scenario": "a message with a misleading keyword at the end", "root_cause": "keyword spotting"},
    "EvidenceAnalysis": {"misleading": "", "missed": "", "capability": "negation",
                         "error_scenario": "a message with a misleading keyword at the end", "root_cause": "keyword spotting"},
    "BlindAnswer": {"answer": "billing"},
    "Pattern": {"name": "misleading trailing keyword", "description": "a cue of another department comes last"},
    "Strategy": {"strategy": "write messages whose last sentence names another department", "vary": ["department"],
                 "keep": ["answer format"], "pitfalls": ["ambiguous messages"]},
    "NewSamples": {"samples": [{"input": "my bill doubled, nothing to do with my router", "output": "billing"}]},
    "QualityScore": {"answer_correct": True, "fits_format": True, "follows_strategy": 4, "not_trivial": 4,
                     "reason": ""},
    "Check": {"ok": True},   # the pre-flight check
}


def schema_name(body: dict) -> str | None:
    """The reply schema a request asks for: response_format's name, else the first schema title in the prompt."""
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        return rf["json_schema"]["name"]
    text = " ".join(str(m.get("content") or "") for m in body.get("messages", []))
    titles = [t for t in re.findall(r'"title":\s*"(\w+)"', text) if t in SAMPLES]
    return titles[0] if titles else next((n for n in SAMPLES if n in text), None)


def default_responder(body: dict) -> dict:
    name = schema_name(body)
    if name is None:
        raise ValueError("fake_openai: cannot tell which reply schema this request wants")
    return json.loads(json.dumps(SAMPLES[name]))


def helpdesk_responder(body: dict) -> dict:
    """A plausible LLM for the bundled task: varied analyses, and new messages in the right format."""
    text = " ".join(str(m.get("content") or "") for m in body["messages"])
    name = schema_name(body)
    if name in ("ErrorAnalysis", "EvidenceAnalysis"):
        gold = re.search(r"Gold answer: '(\w+)'", text).group(1)
        said = {"error_scenario": f"A request that belongs to {gold} was sent elsewhere.",
                "root_cause": f"The model missed the {gold} cue and followed another keyword."}
        return said if name == "ErrorAnalysis" else {"misleading": "", "missed": "", "capability": "vocabulary", **said}
    if name == "NewSamples":
        from pada_lite.tasks.bundled import LABELS, generate_example
        n = int(re.search(r"Write (\d+) new", text).group(1))
        rng = random.Random(f"{text}|{body.get('seed')}")   # a new seed asks again: a new draw
        return {"samples": [{"input": e.input, "output": e.output} for e in
                            (generate_example(rng, rng.choice(LABELS), "negation", "B") for _ in range(n))]}
    return default_responder(body)


class FakeOpenAI:
    def __init__(self, latency: float = 0.0, responder=default_responder, faults=(), supports_schema: bool = True,
                 supports_json_mode: bool = True, timeout_sleep: float = 2.0, watchdog: float = 300.0,
                 format_status: int = 400, api_key: str | None = None, models=None, reasoning: bool = False,
                 stall_after: int | None = None, reasoning_tokens: int = 48, ignores_schema: bool = False,
                 prose: bool = False, context: int | None = None, props: bool = True, slots: int = 1,
                 ollama_num_ctx: int | None = None):
        self.latency, self.responder, self.faults = latency, responder, list(faults)
        self.supports_schema, self.supports_json_mode = supports_schema, supports_json_mode
        self.format_status, self.api_key, self.models = format_status, api_key, set(models) if models else None
        self.reasoning, self.stall_after, self.reasoning_tokens = reasoning, stall_after, reasoning_tokens
        self.ignores_schema, self.prose, self.context, self.props, self.slots = ignores_schema, prose, context, props, slots
        self.ollama_num_ctx = ollama_num_ctx
        self.timeout_sleep, self.watchdog = timeout_sleep, watchdog
        self.requests: list[dict] = []        # {"body": ..., "headers": ...} per incoming request
        self.counts: Counter = Counter()      # "requests", "rejected_format" and one per fault served
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._server = self._thread = self._timer = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "FakeOpenAI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._info(self)

            def log_message(self, *args):   # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.watchdog, self.close)   # never outlive the tests
        self._timer.daemon = True
        self._timer.start()
        return self

    def close(self) -> None:
        self._stop.set()   # wakes handlers sleeping in "timeout" or latency
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # ---------------------------------------------------------------- serving
    def _info(self, h: BaseHTTPRequestHandler) -> None:
        """llama.cpp's GET /props and Ollama's GET /api/ps, where the knobs make this fake one of them."""
        path = h.path.rstrip("/")
        if path == "/props" and self.context and self.props:
            return self._send(h, 200, {"default_generation_settings": {"n_ctx": self.context, "params": {}},
                                       "total_slots": self.slots, "model_alias": "fake"})
        if path == "/api/ps" and self.ollama_num_ctx:
            return self._send(h, 200, {"models": [{"name": m, "model": m, "context_length": self.ollama_num_ctx}
                                                  for m in sorted(self.models or {"fake"})]})
        self._send(h, 404, {"error": {"message": f"no route {h.path}", "type": "not_found"}})

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        if h.path.rstrip("/") == "/api/show":   # Ollama's model info; not counted among the requests
            h.rfile.read(int(h.headers.get("Content-Length", 0)))
            if not self.ollama_num_ctx:
                return self._send(h, 404, {"error": {"message": f"no route {h.path}", "type": "not_found"}})
            return self._send(h, 200, {"parameters": f"stop \"<|im_end|>\"\nnum_ctx {self.ollama_num_ctx}",
                                       "model_info": {"llama.context_length": 32768}})
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))) or b"{}")
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self._lock:
            self.requests.append({"body": body, "headers": headers, "time": time.time()})
            self.counts["requests"] += 1
            n = self.counts["requests"]
        if self.stall_after is not None and n > self.stall_after:
            self._stop.wait(self.watchdog)   # accept and never answer
            return
        if h.path.rstrip("/") != "/v1/chat/completions":
            return self._send(h, 404, {"error": {"message": f"no route {h.path}", "type": "not_found"}})
        refusal = self._endpoint_refusal(body, headers)
        if refusal is not None:
            with self._lock:
                self.counts[f"refused_{refusal[0]}"] += 1
            return self._send(h, refusal[0], {"error": refusal[1]})
        fmt = (body.get("response_format") or {}).get("type")
        if (fmt == "json_schema" and not self.supports_schema) or (fmt == "json_object" and not self.supports_json_mode):
            with self._lock:
                self.counts["rejected_format"] += 1
            message = (f"response_format type {fmt} is not supported" if self.format_status == 400 else
                       "1 validation error: response_format.type: Input should be 'text' or 'json_object'")
            return self._send(h, self.format_status, {"error": {"message": message, "type": "invalid_request_error",
                                                                "param": "response_format"}})
        prompt_chars = sum(len(str(m.get("content") or "")) for m in body.get("messages", []))
        prompt_tokens = prompt_chars // 4 + 4 * len(body.get("messages", []))
        if self.context and prompt_tokens >= self.context:   # llama.cpp's words and fields
            with self._lock:
                self.counts["exceeds_context"] += 1
            return self._send(h, 400, {"error": {
                "code": 400, "type": "exceed_context_size_error", "n_prompt_tokens": prompt_tokens, "n_ctx": self.context,
                "message": f"request ({prompt_tokens} tokens) exceeds the available context size ({self.context} "
                           "tokens), try increasing it"}})
        with self._lock:
            fault = self.faults.pop(0) if self.faults else "ok"
            self.counts[fault] += 1
        if fault in ("429", "500"):
            return self._send(h, int(fault), {"error": {"message": f"fake {fault}", "type": "server_error"}},
                              {"retry-after-ms": "10"})
        if fault == "error_200":
            return self._send(h, 200, {"error": {"message": "upstream model overloaded", "type": "server_error",
                                                 "code": 503}})
        if fault == "400":
            return self._send(h, 400, {"error": {"message": "invalid 'messages': a tool message must follow a tool call",
                                                 "type": "invalid_request_error", "param": "messages"}})
        if fault == "401":   # like a real endpoint, echo part of the key back
            key = h.headers.get("Authorization", "").removeprefix("Bearer ")
            return self._send(h, 401, {"error": {"message": f"Incorrect API key provided: {key[:6]}***{key[-4:]}",
                                                 "type": "invalid_request_error", "code": "invalid_api_key"}})
        self._stop.wait(self.timeout_sleep if fault == "timeout" else self.latency)
        if fault == "timeout" or self._stop.is_set():
            return   # the client has given up (or the server is closing): answer nothing
        content, refusal, finish = json.dumps(self.responder(body)), None, "stop"
        if fault == "malformed" or (self.ignores_schema and fmt == "json_schema") or self.prose:
            content = "Sure! Here is my analysis. The message is about billing, so error_scenario = unclear"
        elif fault == "refusal":
            content, refusal = None, "I can't help with that."
        elif fault == "truncated":
            content, finish = content[: len(content) // 2], "length"
        elif fault == "bad_schema":
            content = json.dumps({"unexpected": "fields", "score": 3})
        elif fault != "ok":
            raise ValueError(f"fake_openai: unknown fault {fault!r}")
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(content or refusal) // 4 + 1}
        limit = body.get("max_tokens") or body.get("max_completion_tokens") or 1 << 30
        if self.context and prompt_tokens + min(usage["completion_tokens"], limit) > self.context:
            # a reply asked with room it would not need still stops where the context is full
            usage["completion_tokens"], finish = self.context - prompt_tokens, "length"
            content = (content or "")[: 4 * usage["completion_tokens"]]
        if self.reasoning:   # hidden reasoning tokens are billed as completion tokens
            usage["completion_tokens"] += self.reasoning_tokens
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self._send(h, 200, {
            "id": f"chatcmpl-fake{self.counts['requests']}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"), "usage": usage,
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}]})

    def _endpoint_refusal(self, body: dict, headers: dict) -> tuple[int, dict] | None:
        """What a real endpoint refuses before it reads the prompt: the key, the model, the parameters."""
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and key != self.api_key:   # like a real endpoint, echo part of the key back
            return 401, {"message": f"Incorrect API key provided: {key[:6]}***{key[-4:]}.", "type": "invalid_request_error",
                         "param": None, "code": "invalid_api_key"}
        model = body.get("model")
        if self.models is not None and model not in self.models:
            return 404, {"message": f"The model `{model}` does not exist or you do not have access to it.",
                         "type": "invalid_request_error", "param": None, "code": "model_not_found"}
        if self.reasoning and "max_tokens" in body:
            return 400, {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                                    "'max_completion_tokens' instead.", "type": "invalid_request_error",
                         "param": "max_tokens", "code": "unsupported_parameter"}
        if self.reasoning and body.get("temperature", 1) != 1:
            return 400, {"message": f"Unsupported value: 'temperature' does not support {body['temperature']} with this "
                                    "model. Only the default (1) value is supported.", "type": "invalid_request_error",
                         "param": "temperature", "code": "unsupported_value"}
        return None

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, obj: dict, headers: dict | None = None) -> None:
        data = json.dumps(obj).encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client timed out and left


if pytest is not None:
    @pytest.fixture
    def fake_openai():
        """A started FakeOpenAI; set its knobs (faults, latency, ...) before the first call."""
        with FakeOpenAI() as fake:
            yield fake
