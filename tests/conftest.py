import os
import random

import pytest

# no hub look-ups in tests: each would burn 25-50 s before failing on a machine with no network
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pada_lite.tasks.spec import Example, LabelTask  # noqa: E402

TOY_LABELS = ["billing", "outage", "sales"]
TOY_WORDS = {"billing": ["bill", "invoice", "charge"], "outage": ["connection", "signal", "outage"],
             "sales": ["upgrade", "new plan", "offer"]}


def toy_examples(n: int, seed: int, prefix: str) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = TOY_LABELS[i % 3]
        word = rng.choice(TOY_WORDS[label])
        text = f"{rng.choice(['hi', 'hello', 'hey'])} team, question about my {word} number {rng.randint(1, 999)}"
        out.append(Example(id=f"{prefix}-{i}", input=text, output=label, tags=[word.split()[0]]))
    return out


@pytest.fixture(scope="session")
def toy():
    """A three-label keyword task small enough to learn in seconds."""
    task = LabelTask("toy", TOY_LABELS)
    train, test = toy_examples(150, 0, "train"), toy_examples(60, 1, "test")
    corpus = [e.input for e in train] + TOY_LABELS + [task.system_prompt]
    return task, train, test, corpus


@pytest.fixture(scope="session")
def tiny_student(toy):
    """(profile, source folder) of a tiny student for the toy task, built once per session."""
    from pada_lite.student.profiles import get_profile
    from pada_lite.student.load import student_source
    prof = get_profile("tiny", epochs=6, lr=3e-3)  # a short schedule for a 150-example toy task
    return prof, student_source(prof, toy[3])
