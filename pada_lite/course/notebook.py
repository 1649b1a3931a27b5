"""What every notebook of the course calls first, and the exercise checker.

    from pada_lite.course.notebook import setup, check, course_run, course_teacher
    profile = setup(drive=USE_DRIVE, student=STUDENT)   # the set-up cell's two Colab form fields
    run = course_run()                # runs/course-<profile>: where notebooks hand work to the next
    check("accuracy", mine, reference, tol=1e-9)

- The profile comes from `PADA_PROFILE` (`colab`, `cpu`, `tiny`); with none set, `colab`
  where a CUDA GPU is present, else `tiny`. A notebook never hard-codes one.
- The set-up cell's two settings, Colab form fields or environment variables, whichever the
  learner prefers (a field left at its default defers to the variable): `USE_DRIVE` / `PADA_DRIVE=1`
  keeps the run folders on Google Drive; `STUDENT` / `PADA_STUDENT` names another student model
  (`unsloth/Llama-3.2-1B-Instruct`: Meta's Llama 3.2 1B without the licence gate). No cell is edited.
- `smoke()` is true under `PADA_SMOKE=1` (CI runs every notebook that way): cells shrink
  their work (fewer examples, fewer iterations), never skip it.
- `course_teacher()` is the simulated teacher unless an API key is found (environment or
  Colab secrets) and the profile's teacher is `openai`, or `PADA_TEACHER=openai` is set.

It deliberately holds no method logic: notebooks call the package's modules for that.
"""
from __future__ import annotations

import json
import math
import os

REPO = "pada-lite/pada-lite"          # the GitHub repository the Colab badges and installs point at
RELEASE = "v0.1.0"   # the tag the notebooks install on Colab and their badges open: the release they were tested with


def smoke() -> bool:
    """CI's switch: `PADA_SMOKE=1` makes every notebook do a small version of its work."""
    return os.environ.get("PADA_SMOKE", "").strip() not in ("", "0", "false")


DRIVE_RUNS = "/content/drive/MyDrive/pada-lite/runs"   # where `setup(drive=True)` keeps the course on Colab


def _on_colab() -> bool:
    import sys
    return "google.colab" in sys.modules


def use_drive(quiet: bool = False) -> str | None:
    """On Colab: mount Google Drive and keep the run folders there (`PADA_RUNS`), so the course goes on
    in a new runtime and survives a disconnect. The folder, or None (not on Colab: nothing changes)."""
    if not _on_colab():
        if not quiet:
            print("drive: only on Colab; run folders stay local")
        return None
    from google.colab import drive   # noqa: F401  (Colab only)
    drive.mount("/content/drive")
    os.environ.setdefault("PADA_RUNS", DRIVE_RUNS)
    os.makedirs(os.environ["PADA_RUNS"], exist_ok=True)
    if not quiet:
        print(f"drive: run folders in {os.environ['PADA_RUNS']} (kept across runtimes)")
    return os.environ["PADA_RUNS"]


def _on(value) -> bool:
    return str(value or "").strip().lower() not in ("", "0", "false", "no", "off")


def settings(drive: bool = False, student: str = "") -> dict:
    """The set-up cell's two settings: a form field that is set wins, else its environment variable.

    {"drive": bool, "student": hub id or "" (the profile's own), "student_from": where it came from}."""
    student = (student or "").strip()
    from_env = os.environ.get("PADA_STUDENT", "").strip()
    return {"drive": bool(drive) or _on(os.environ.get("PADA_DRIVE")),
            "student": student or from_env,
            "student_from": "STUDENT in the set-up cell" if student else "PADA_STUDENT" if from_env else None}


def setup(quiet: bool = False, drive: bool = False, student: str = ""):
    """The profile for this session, with a line each on the profile, the student and the run folders,
    the device and its memory, and the teacher.

    `drive=True` (or `PADA_DRIVE=1`) keeps the run folders on Google Drive (Colab only; see `use_drive`);
    `student` (or `PADA_STUDENT`) replaces the profile's student, e.g. with `profiles.LLAMA_1B_MIRROR`,
    the ungated copy of the Llama weights."""
    import torch

    from pada_lite.loop.runs import runs_root
    from pada_lite.student.profiles import default_profile_name, get_profile
    from pada_lite.student.load import gpu_memory

    chosen = settings(drive, student)
    on_drive = chosen["drive"] and use_drive(quiet=True) is not None
    if chosen["student"]:
        # subtle: course_settings() reads it, so a course folder made with another student is not reused
        os.environ["PADA_STUDENT"] = chosen["student"]
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # subtle: transformers' "Loading weights" bar is a widget that a saved notebook shows at 0% forever
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    name = default_profile_name()
    profile = get_profile(name, **({"student": chosen["student"]} if chosen["student"] else {}))
    if not quiet:
        src = "PADA_PROFILE" if os.environ.get("PADA_PROFILE") else ("a CUDA GPU is present" if torch.cuda.is_available()
                                                                      else "no GPU")
        print(f"profile {profile.name} (from {src}): {'4-bit QLoRA' if profile.load_in_4bit else 'LoRA'}, "
              f"embedder {profile.embedder}")
        whose = f"from {chosen['student_from']}" if chosen["student_from"] else "the profile's"
        print(f"student {profile.student} ({whose}); run folders in {runs_root()}/ "
              f"({_where_runs(chosen['drive'], on_drive)})")
        print(gpu_memory())
        if not torch.cuda.is_available() and (line := shared_cpu()):
            print(line)
        print(f"teacher: {describe_teacher_choice(profile)}" + ("  [smoke run: small work]" if smoke() else ""))
    return profile


def _where_runs(asked: bool, on_drive: bool) -> str:
    if on_drive:
        return "Google Drive: kept across runtimes"
    if asked:
        return "local: Google Drive is only on Colab"
    if _on_colab():
        return "this runtime only: tick USE_DRIVE or set PADA_DRIVE=1 to keep them on Google Drive"
    return "from PADA_RUNS" if os.environ.get("PADA_RUNS") else "next to the notebook"


def shared_cpu(load: float | None = None, cores: int | None = None) -> str | None:
    """One line when other work already keeps every core busy (load average above the core count), else None.

    Measured on 2 cores (tests/benchmarks/bench_train.py, README): on a quiet machine torch's default
    (one thread per core) trains 1.6x faster than one thread, so the kit keeps it; under a load average
    of 10, one thread was 7-9x faster per step. So this says what to do rather than doing it."""
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    cores = cores or os.cpu_count() or 1
    if load <= cores:
        return None
    return (f"cpu: load average {load:.1f} on {cores} cores: other work is using them, and training can run several "
            "times slower; while it lasts, one thread is faster: import torch; torch.set_num_threads(1)")


def _teacher_kind(profile) -> str:
    from pada_lite.teacher.backends.openai_api import resolve_api_key
    want = os.environ.get("PADA_TEACHER", "").strip().lower() or profile.teacher
    if want == "openai" and resolve_api_key(prompt=False) is None and not os.environ.get("PADA_BASE_URL"):
        return "sim"   # no key anywhere: the course goes on with the simulated teacher
    return want


def describe_teacher_choice(profile) -> str:
    kind = _teacher_kind(profile)
    if kind == "sim":
        return "the simulated teacher (offline, free; set PADA_TEACHER=openai and an API key to use an LLM)"
    return f"an OpenAI-compatible endpoint ({os.environ.get('PADA_BASE_URL') or 'OpenAI'}); the key is read, never shown"


_MOVED: set[str] = set()


def course_settings() -> dict:
    """What a course folder's results depend on: the profile, smoke or full work, the teacher, and the
    student when `PADA_STUDENT` (or the set-up cell's `STUDENT`) replaces the profile's."""
    from pada_lite.student.profiles import default_profile_name, get_profile
    profile = default_profile_name()
    out = {"profile": profile, "smoke": smoke(), "teacher": _teacher_kind(get_profile(profile))}
    student = os.environ.get("PADA_STUDENT", "").strip()
    return out | ({"student": student} if student else {})   # only when it is not the profile's own


def course_run(part: str | None = None):
    """The run folder the notebooks share: `runs/course-<profile>` (06 and 07 add `-loop` / `-own`).

    A folder is reused only with the settings that made it (`course.json`: profile, smoke or full,
    teacher): a full run never picks up a smoke run's chance-level baseline. With other settings the
    course moves to the first folder `...-2`, `...-3` made with these settings (or a new one), and
    says so in one line."""
    from pada_lite.student.profiles import default_profile_name
    from pada_lite.loop.runs import Run, runs_root

    def made_with(name: str) -> dict | None:
        p = runs_root() / name / "course.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    base = f"course-{default_profile_name()}" + (f"-{part}" if part else "")
    want, name, n = course_settings(), base, 1
    while made_with(name) not in (None, want):
        n += 1
        name = f"{base}-{n}"
    run = Run(name)
    if not run.has("course.json"):
        run.write_json(want, "course.json")
    if name != base and name not in _MOVED:   # said once per session
        _MOVED.add(name)
        have = made_with(base)
        diff = ", ".join(f"{k} {have.get(k)!r} there, {v!r} now" for k, v in want.items() if have.get(k) != v)
        print(f"course folder {runs_root() / base} was made with other settings ({diff}); using {run.dir}")
    return run


def course_teacher(profile, run, **kw):
    """The teacher for the course, caching every call in the shared run folder. An endpoint is
    checked at once (`Teacher.preflight`): a wrong key or URL shows here, not mid-lesson."""
    from pada_lite.teacher.core import make_teacher
    kind = _teacher_kind(profile)
    extra = {"base_url": os.environ.get("PADA_BASE_URL")} if kind == "openai" else {}
    teacher = make_teacher(kind, cache=run.path("teacher_cache.jsonl"), **extra, **kw)
    teacher.preflight()
    return teacher


def _diff(got, want, tol: float, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}[{k!r}] missing" for k in want if k not in got]
        out += [f"{path}[{k!r}] unexpected" for k in got if k not in want]
        return out + [d for k in want if k in got for d in _diff(got[k], want[k], tol, f"{path}[{k!r}]")]
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        if len(got) != len(want):
            return [f"{path} has {len(got)} items, the reference {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in _diff(g, w, tol, f"{path}[{i}]")]
    if isinstance(want, (int, float)) and isinstance(got, (int, float)) and not isinstance(want, bool):
        return [] if math.isclose(got, want, rel_tol=tol, abs_tol=tol) else [f"{path or 'value'}: {got!r} vs {want!r}"]
    return [] if got == want else [f"{path or 'value'}: {got!r} vs reference {want!r}"]


def _leaves(x) -> list:
    if isinstance(x, dict):
        return [v for val in x.values() for v in _leaves(val)]
    if isinstance(x, (list, tuple)):
        return [v for val in x for v in _leaves(val)]
    return [x]


def unanswered(got, want=None) -> bool:
    """True for what an exercise left at its TODO returns: None, or a list/dict of nothing but None
    (a stub called once per item), unless the reference itself is all None."""
    if got is None:
        return True
    leaves = _leaves(got)
    return bool(leaves) and all(v is None for v in leaves) and not (want is not None and all(v is None for v in _leaves(want)))


def check(name: str, got, want, tol: float = 1e-9, hint=None) -> bool:
    """Compare a learner's result with the reference and say what differs (nn-zero-to-hero's `cmp`).
    `hint(got, want)` may explain the difference in the exercise's own terms (a line, or None)."""
    if unanswered(got, want):
        print(f"{name}: not done yet (the TODO still returns None)")
        return False
    diffs = _diff(got, want, tol)
    if not diffs:
        exact = got == want
        print(f"{name}: {'exact' if exact else f'approximately equal (tolerance {tol:g})'} match with the reference")
        return True
    print(f"{name}: differs from the reference in {len(diffs)} place(s):")
    for d in diffs[:10]:
        print(f"  - {d}")
    try:
        why = hint(got, want) if hint else None
    except Exception:   # a hint must never break the lesson, whatever the learner returned
        why = None
    if why:
        print(f"  hint: {why}")
    return False


def mine_or_reference(ok: bool, mine, reference, what: str):
    """After an exercise: the learner's result when its check passed, else the reference, saying so in one line,
    so the cells below run either way."""
    if ok:
        return mine
    print(f"{what}: the cells below use the reference result until your answer matches it")
    return reference


# ---------------------------------------------------------------- hand-over between notebooks
# The course folder has the loop's layout (`pada_lite.loop.runner`): the seed model's files under
# sft/iter_0/, PaDA's first iteration under pada/iter_1/ (analyses, clusters, patterns, generated,
# judged, accepted, qc). A notebook run alone rebuilds what the earlier ones would have left there
# with the loop's own steps, and saves it there, so the next notebook finds it.
SEED = ("sft", "iter_0")          # loop.runner.model_dir("sft", 0): the seed SFT model
ITERATION = ("pada", "iter_1")    # loop.runner.Step("pada", 1).folder: the course's PaDA iteration


def course_loop(wf, run, teacher):
    """The loop whose steps notebooks 03-05 hand over with: PaDA, one iteration, the course's sizes."""
    from pada_lite.loop.runner import Loop, LoopConfig, Step

    # smoke: 40 samples, so that notebook 05 run alone still meets some of the (simulated) generator's
    # wrong answers (one in ten): at 24, this seed's draft had none, and QC had nothing to catch
    cfg = LoopConfig(methods=("sft", "pada"), iterations=1, samples=40 if smoke() else 140, k_max=8)
    return Loop(wf, teacher, run, cfg, preflight=False), Step("pada", 1)


def course_patterns(wf, run, teacher):
    """Notebook 03's failure patterns, from `run` or rebuilt: (patterns, where from, student).
    `student` is the (model, tokenizer) fine-tuned while rebuilding, None when loaded."""
    from pada_lite.agents.analysis import Analysis, FailurePattern
    from pada_lite.files import read_jsonl

    if run.has(*ITERATION, "patterns.jsonl"):
        rows = read_jsonl(run.path(*ITERATION, "patterns.jsonl"))
        patterns, note, student = [FailurePattern(**r) for r in rows], "notebook 03's patterns", None
    else:
        loop, it = course_loop(wf, run, teacher)
        model, tok, _ = wf.finetune(output_dir=str(run.path(*SEED, "trainer")))
        res = wf.evaluate(model, tok, examples=wf.splits.validation[:60] if smoke() else wf.splits.validation)
        res.save(run.path(*SEED, "eval_validation.jsonl"))
        failures = res.failures[:40] if smoke() else res.failures
        analyses = loop.saved(it, "analyses.jsonl", Analysis)
        if analyses is None:
            analyses = loop.save(it, "analyses.jsonl", loop.analyse(it, failures))
        patterns = loop.save(it, "patterns.jsonl", loop.find_patterns(it, analyses))
        note = (f"rebuilt here (notebook 03 has not run in this course folder): {len(res.failures)} validation "
                f"failures, {len(analyses)} analysed; saved under {'/'.join(ITERATION)}/")
        student = (model, tok)
    if not patterns:
        raise RuntimeError("no failure patterns: the student made no validation failures the analyst could explain, "
                           f"so there is nothing to generate from; re-run notebook 03 (or delete {'/'.join(ITERATION)}/ "
                           "to rebuild)")
    return patterns, note, student


def course_candidates(wf, run, teacher, patterns):
    """Notebook 04's generated candidates, from `run` or rebuilt (pattern-guided only) and saved."""
    from pada_lite.agents.synthesis import Candidate
    from pada_lite.files import read_jsonl

    if run.has(*ITERATION, "generated.jsonl"):
        cands = [Candidate(**r) for r in read_jsonl(run.path(*ITERATION, "generated.jsonl"))]
        return cands, "notebook 04's candidates"
    loop, it = course_loop(wf, run, teacher)
    cands = loop.save(it, "generated.jsonl", loop.generate(loop.plan(it, patterns, [])))
    return cands, "rebuilt here (notebook 04 has not run in this course folder), pattern-guided only; saved"
