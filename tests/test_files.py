"""Tests for pada_lite.files: the one JSONL reader and writer, atomic writes, the cache folder."""
from pathlib import Path

import pytest

from pada_lite.files import (DataError, atomic_write_text, cache_root, publish_folder, quote, read_jsonl,
                             write_jsonl)


def test_jsonl_round_trip_is_utf8_and_leaves_no_temporary_file(tmp_path):
    rows = [{"id": "a", "input": "Grüße, 東京"}, {"id": "b", "input": ""}]
    path = write_jsonl(tmp_path / "sub" / "rows.jsonl", rows)
    assert read_jsonl(path) == rows
    assert "Grüße" in path.read_text(encoding="utf-8")            # readable, not \u-escaped
    assert [p.name for p in path.parent.iterdir()] == ["rows.jsonl"]


@pytest.mark.parametrize("text, where", [('{"a": 1}\n\n{"a": \n', "line 3: malformed JSON"),
                                         ('{"a": 1}\n[1, 2]\n', "line 2: expected a JSON object")])
def test_a_bad_line_is_named(tmp_path, text, where):
    (tmp_path / "r.jsonl").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=rf"r\.jsonl, {where}"):
        read_jsonl(tmp_path / "r.jsonl")


def test_an_atomic_write_replaces_the_whole_file(tmp_path):
    path = tmp_path / "summary.json"
    atomic_write_text(path, "old and long\n")
    atomic_write_text(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n" and not (tmp_path / "summary.json.tmp").exists()


def test_cache_root_expands_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PADA_CACHE", "~/models")
    assert cache_root() == tmp_path / "models"
    monkeypatch.setenv("PADA_CACHE", "")
    assert cache_root() == tmp_path / ".cache" / "pada_lite"


def test_publish_folder_keeps_the_winner_and_cleans_up(tmp_path):
    final = tmp_path / "model"

    def fill(folder: Path) -> None:
        (folder / "config.json").write_text("{}")
    assert publish_folder(final, fill, prefix=".tmp-") == final and (final / "config.json").exists()

    def other_process_wins(folder: Path) -> None:   # ours is discarded, theirs kept
        (folder / "mine").write_text("x")
    publish_folder(final, other_process_wins, prefix=".tmp-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"] and not (final / "mine").exists()

    def boom(folder: Path) -> None:
        raise RuntimeError("killed mid-build")
    with pytest.raises(RuntimeError):
        publish_folder(tmp_path / "other", boom, prefix=".tmp-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]   # no half-built folder left behind


def test_quote_caps_long_values():
    assert quote("abc") == "'abc'" and quote(5) == "5"
    assert quote("x" * 1000).endswith("... (1,000 characters)")
