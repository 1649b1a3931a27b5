"""Write the learners' copies of the course notebooks, with the exercise solutions taken out.

    python notebooks/make_student_copies.py [--out notebooks/student]

In every code cell tagged `solution`, each block between a line `# BEGIN SOLUTION` and a line
`# END SOLUTION` (same indentation) becomes one line at that indentation:
`return None  # TODO: your code here` when the block returns at that indentation, else
`pass  # TODO: your code here`. A markdown cell tagged `answers` (the answers to a notebook's
check-your-understanding questions) becomes a line linking the course notebook on GitHub at the
pinned release (`RELEASE` in `pada_lite/course/notebook.py`), and the Colab badge opens the copy
itself. Outputs and execution counts are cleared; nothing else changes.

The copies are committed (`notebooks/student/`, linked from the README); a test checks that they
equal what this script writes now, so re-run it after editing a course notebook.

It deliberately does not touch untagged cells (markers there are left as they are) nor the
course notebooks themselves; a tagged cell with no markers or unbalanced ones is an error.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
TODO = "  # TODO: your code here"
ANSWERS = ("*Answers: try the questions first, then open [the instructor's copy of this notebook]({url}) "
           "(`notebooks/{name}` of the release the course installs) and unfold its Answers.*")
HERE = Path(__file__).resolve().parent


def course_url(name: str) -> str:
    """The course notebook on GitHub, at the release the notebooks install and their badges open: a link
    that works on Colab, where no folder "one up" exists."""
    from pada_lite.course.notebook import RELEASE, REPO
    return f"https://github.com/{REPO}/blob/{RELEASE}/notebooks/{name}"


def strip_solutions(source: str) -> str:
    """The cell's source with each solution block replaced; ValueError when markers do not pair up."""
    out, indent, block, found = [], None, [], 0
    for n, line in enumerate(source.split("\n"), 1):
        lead, text = line[: len(line) - len(line.lstrip())], line.strip()
        if text == BEGIN:
            if indent is not None:
                raise ValueError(f"line {n}: '{BEGIN}' inside another solution block (no '{END}' before it)")
            indent, block = lead, []
        elif text == END:
            if indent is None:
                raise ValueError(f"line {n}: '{END}' without a '{BEGIN}' before it")
            if lead != indent:
                raise ValueError(f"line {n}: '{END}' is not at the indentation of its '{BEGIN}'")
            # subtle: only a return at the block's own indentation makes the stub a function body's end
            returns = any(re.match(re.escape(indent) + r"return\b", b) for b in block)
            out.append(indent + ("return None" if returns else "pass") + TODO)
            indent, found = None, found + 1
        elif indent is not None:
            block.append(line)
        else:
            out.append(line)
    if indent is not None:
        raise ValueError(f"'{BEGIN}' has no '{END}' after it")
    if not found:
        raise ValueError(f"tagged 'solution' but has no '{BEGIN}' / '{END}' markers")
    return "\n".join(out)


def student_copy(nb, name: str = "the course notebook"):
    """A copy of the notebook (nbformat node) with solutions and answers taken out, outputs cleared."""
    import copy
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        if i == 0 and cell.cell_type == "markdown":   # the badge opens the learner's copy
            cell.source = re.sub(rf"(/blob/[^/\s)]+/notebooks/){re.escape(name)}", rf"\g<1>student/{name}", cell.source)
        if cell.cell_type == "markdown" and "answers" in cell.get("metadata", {}).get("tags", []):
            cell.source = ANSWERS.format(name=name, url=course_url(name))
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("pada", None)   # the hash of the source its outputs came from (execute.py)
        if "solution" in cell.get("metadata", {}).get("tags", []):
            try:
                cell.source = strip_solutions(cell.source)
            except ValueError as err:
                raise ValueError(f"cell {i} (id {cell.get('id', '?')}): {err}") from None
    return nb


def course_notebooks(folder: Path = HERE) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if re.match(r"\d\d_", p.name))


def main(argv=None) -> int:
    import nbformat
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "student", help="folder for the copies")
    ap.add_argument("--src", type=Path, default=HERE, help="folder of the course notebooks")
    args = ap.parse_args(argv)
    paths = course_notebooks(args.src)
    if not paths:
        print(f"no notebooks named NN_*.ipynb in {args.src}", file=sys.stderr)
        return 1
    copies = []
    for p in paths:  # check every notebook before writing any copy
        try:
            copies.append((p, student_copy(nbformat.read(p, as_version=4), p.name)))
        except ValueError as err:
            print(f"{p.name}: {err}; add the markers or remove the 'solution' tag", file=sys.stderr)
            return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for p, nb in copies:
        nbformat.write(nb, args.out / p.name)
        print(f"wrote {args.out / p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
