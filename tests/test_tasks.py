"""Answer parsing and the Fail criterion, for every built-in answer type."""
import pytest

from pada_lite.tasks.bundled import LABELS, BundledTask
from pada_lite.tasks.spec import Example, LabelTask, NumberTask, TextTask, parse_number


@pytest.mark.parametrize("response,expected", [
    ("Natalia sold 48 + 24 = 72 clips.\n#### 72", "72"),
    ("#### -12", "-12"),                      # the sign is kept
    ("#### −7", "-7"),                        # unicode minus
    ("#### $1,234", "1234"),                  # dollars and thousands separators
    ("#### 18.", "18"),                       # trailing full stop
    ("#### 0.50", "0.5"),                     # decimals, trailing zeros dropped
    ("#### -0.25 dollars", "-0.25"),
    ("#### 3.000", "3"),
    ("first #### 5 then #### 6", "6"),         # the last marker wins
    ("#### 007", "7"),
])
def test_gsm8k_parse(response, expected):
    assert NumberTask().parse(response) == expected


@pytest.mark.parametrize("response", ["", None, "The answer is 42", "####", "#### about nine", "#### -"])
def test_gsm8k_malformed_responses_parse_to_none(response):
    assert NumberTask().parse(response) is None


def test_gsm8k_fail_criterion():
    t = NumberTask()
    assert t.is_correct("72", "72") and t.is_correct("72.0", "72") and t.is_correct("-3", "-3.00")
    assert not t.is_correct("-72", "72") and not t.is_correct(None, "72") and not t.is_correct("7.2", "72")
    assert t.validate_gold(Example("a", "q", "forty")) is not None
    assert t.target(Example("a", "q", "5", target="2+3=5\n#### 5")) == "2+3=5\n#### 5"
    assert t.target(Example("a", "q", "5")) == "#### 5"


@pytest.mark.parametrize("raw,expected", [
    ("12,000", "12000"), ("-5", "-5"), ("$-5.50", "-5.5"), ("- 5", "-5"), ("0", "0"), ("-0", "0"),
    ("1e5", "100000"), ("1e400", None), ("12-3", None), ("", None), ("abc", None),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("response,expected", [
    ("positive", "positive"), ("Positive.", "positive"), ("  NEGATIVE!! ", "negative"),
    ("Label: positive", "positive"), ("I think it is negative overall", "negative"),
    ("pos", None), ("", None), ("neutral", None),
])
def test_label_parse_tolerates_case_punctuation_and_words(response, expected):
    assert LabelTask("sst2", ["negative", "positive"]).parse(response) == expected


def test_label_parse_multiword_labels_and_first_mention():
    t = LabelTask("intents", ["book_restaurant", "play music", "get weather"])
    assert t.parse("Book restaurant") == "book_restaurant"
    assert t.parse("intent: PLAY-MUSIC") == "play music"
    assert t.parse("get weather, not play music") == "get weather"
    with pytest.raises(ValueError, match="label set is empty"):
        LabelTask("empty", [])


def test_bundled_task_parses_its_labels_and_hides_tags():
    t = BundledTask()
    assert sorted(t.labels) == sorted(LABELS)
    for label in LABELS:
        assert t.parse(label.upper() + ".") == label
    ex = Example("x", "my bill is wrong", "billing", tags=["direct"])
    text = " ".join(m["content"] for m in t.messages(ex))
    assert "direct" not in text and "billing" in t.system_prompt
    assert t.validate_gold(Example("y", "q", "refunds")) is not None


def test_text_task_compares_as_many_lines_as_the_gold_has():
    t = TextTask("capitals")
    assert t.is_correct(t.parse("  Paris \nbecause..."), "Paris")       # a one-line gold: what follows is ignored
    assert t.is_correct("paris", "Paris") and not t.is_correct(None, "Paris") and t.parse("  ") is None
    # a multi-line gold can match (it never did when only the reply's first line was compared)
    gold = "Step 1: open the lid\nStep 2: pour"
    assert t.is_correct(t.parse("step 1: open the lid\n\nStep 2:  pour\nthanks"), gold)
    assert not t.is_correct(t.parse("Step 1: open the lid\nStep 2: stir"), gold)
    assert not t.is_correct(t.parse("Step 1: open the lid"), gold)


def test_numbers_without_a_leading_zero_and_gsm8k_solutions():
    from pada_lite.tasks.spec import NumberTask, parse_number, split_solution
    assert parse_number(".5") == "0.5" and parse_number("-.25") == "-0.25" and parse_number("5.") == "5"
    t = NumberTask()
    assert t.parse("so #### .5") == "0.5" and t.parse("#### 1,234.50") == "1234.5" and t.parse("it is 7") is None
    assert t.last_number("first 3, then 7.") == "7" and t.last_number("none") is None
    assert split_solution("2*3 = <<2*3=6>>6 apples\n#### 6") == ("6", "2*3 = 6 apples\n#### 6")
    assert split_solution("no number after #### here")[0] is None


def test_quoted_values_are_capped():
    from pada_lite.tasks.spec import quote
    assert quote("abc") == "'abc'"
    long = quote("x" * 5_000_000)
    assert len(long) < 100 and "5,000,000 characters" in long
