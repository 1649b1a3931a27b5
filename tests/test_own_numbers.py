"""Number answers in your own data: one grammar for "exactly one number", read the same way in gold
answers (plain, or after '####') and in the student's replies (after their last '####')."""
import pytest

from pada_lite.tasks.spec import Example, NumberTask, number_problem, parse_number, quote, split_solution

# text -> the number a person reads in it, as the kit writes it
ONE_NUMBER = {
    "42": "42", "-5": "-5", "+5": "5", "\u22127": "-7", "- 5": "-5", "007": "7", "0": "0", "-0": "0",
    "3.5": "3.5", ".5": "0.5", "-.25": "-0.25", "0.50": "0.5", "3.000": "3", "18.": "18",
    "1,234": "1234", "12,345,678": "12345678", "1,234.50": "1234.5",
    "1\u00a0234": "1234", "1\u202f234\u202f567": "1234567", "1\u2009234": "1234",   # no-break, narrow, thin spaces
    "1e3": "1000", "1.5e3": "1500", "2.5E-4": "0.00025", "1e5": "100000",
    "$5": "5", "$-5.50": "-5.5", "-$5": "-5", "$ 5": "5", "\u20ac12": "12", "\u00a33": "3", "\u00a5100": "100",
    "\u20b9250": "250", "5 \u20ac": "5", "50%": "50", "30\u00b0": "30",
    "9 apples": "9", "15 years old": "15", "12 cm": "12", "12cm": "12", "9 apples.": "9", "62 push-ups": "62",
    "15 tee-shirts": "15", "8 km/hour": "8", "36 sq. inches": "36", "2 cut-outs of Christmas trees": "2",
    "-0.25 dollars": "-0.25", "**72**": "72", "`72`": "72", "  72  ": "72",
}
# text -> the start of what `number_problem` says was found
NOT_ONE_NUMBER = {
    "9:5": "a ratio or a time", "3:30 p.m.": "a ratio or a time", "9:03:36 a.m.": "a ratio or a time",
    "3/4": "a fraction", "7/9": "a fraction", "-1/3": "a fraction",
    "7; 8; 9": "several numbers (7, 8, 9)", "40 years old; 15 years old": "several numbers (40, 15)",
    "12-3": "several numbers", "5 and 6": "several numbers",
    "3,5": "a comma that is not a thousands separator", "1,23": "a comma", "1,2345": "a comma",
    "1 234": "digit groups split by a plain space",
    "1e400": "an exponent of more than two digits",
    "1.5 million": "a word that changes the number (million)", "3 dozen eggs": "a word that changes the number",
    "2 and a half hours": "a word that changes the number (half)",
    "6th": "an ordinal", "1st": "an ordinal",
    "Vendor 2": "words before the number", "the answer is 7": "words before the number",
    "10 a.m.": "'a.m.' after the number", "12 cm^2": "several numbers",
    "": "no number in it", "Yes": "no number in it", "twelve": "no number in it", "Mrs. Hilt": "no number in it",
}


@pytest.mark.parametrize("text,number", ONE_NUMBER.items(), ids=list(map(repr, ONE_NUMBER)))
def test_one_number_reads_the_same_as_a_gold_and_in_a_reply(text, number):
    task = NumberTask()
    assert parse_number(text) == number and number_problem(text) is None
    assert split_solution(f"Some working: 2 + 2 = 4.\n#### {text}")[0] == number      # gold after '####'
    assert task.parse(f"Some working: 2 + 2 = 4.\n#### {text}\nThanks for asking!") == number   # a reply
    assert task.validate_gold(Example("a", "q", text)) is None
    assert task.is_correct(task.parse(f"#### {text}"), number)


@pytest.mark.parametrize("text,found", NOT_ONE_NUMBER.items(), ids=list(map(repr, NOT_ONE_NUMBER)))
def test_not_one_number_is_no_answer_as_a_gold_and_in_a_reply(text, found):
    task = NumberTask()
    assert parse_number(text) is None
    assert number_problem(text).startswith(found), number_problem(text)
    assert split_solution(f"Some working: 2 + 2 = 4.\n#### {text}")[0] is None       # gold after '####'
    assert task.parse(f"Some working: 2 + 2 = 4.\n#### {text}\nThanks for asking!") is None   # a reply
    assert not task.is_correct(task.parse(f"#### {text}"), "9")
    msg = task.validate_gold(Example("a", "q", text))
    assert msg.startswith(f"gold answer {quote(text)} is not ")


def test_the_defects_a_person_reads_differently():
    """What '####' answers used to read silently, and what a person reads (or that it is not one number)."""
    assert split_solution("x\n#### 1e3")[0] == "1000"          # was 1
    for text in ("3/4", "1 234", "3,5", "9:5", "3:30 p.m.", "7; 8; 9", "40 years old; 15 years old"):
        assert split_solution(f"x\n#### {text}")[0] is None, text   # was the first number
        assert parse_number(text) is None, text


def test_a_reply_is_read_on_the_line_of_its_last_marker():
    task = NumberTask()
    assert task.parse("2 + 5 = 7\n#### 7\n\nI hope this helps. 8 more questions?") == "7"   # later lines ignored
    assert task.parse("first #### 5 then #### 6") == "6"           # the last marker wins
    assert task.parse("#### 5\nno, wait:\n#### 6 apples") == "6"
    assert task.parse("####\n72") is None                          # nothing on the marker's line
    assert task.parse("#### 7 or 8") is None and task.parse("#### The answer is 7") is None
    assert task.parse("The answer is 7") is None                   # no marker, no answer
    assert task.last_number("The answer is 7, then 1,234 and 1e3.") == "1000"   # the comparison reading
    assert task.last_number("it is 72, so") == "72" and task.last_number("none") is None


def test_a_plain_gold_with_unit_words_trains_on_the_marker_and_its_number():
    task = NumberTask()
    ex = Example("a", "Seven red apples and two green apples are in the basket. How many apples?", "9")
    assert task.target(ex) == "#### 9" and task.parse(task.target(ex)) == "9"
    msg = task.validate_gold(Example("b", "q", "9:5"))
    assert "'9:5' is not one number: a ratio or a time" in msg and "'9 apples'" in msg
    assert "is not a number" in task.validate_gold(Example("c", "q", "Mrs. Hilt"))
