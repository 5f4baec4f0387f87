"""The table of schedule phrases from public lists (tests/data/schedule_phrases.csv) and the
report script over it: the targets hold, and the script's own reading of the expected rules
does catch a wrong reading."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "scripts" / "eval_schedules.py"
START = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def evaluation():
    spec = importlib.util.spec_from_file_location("eval_schedules", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_the_table_is_large_and_every_phrase_is_sourced(evaluation) -> None:
    rows = evaluation.load_table()
    assert len(rows) >= 200
    assert len({row["phrase"] for row in rows}) == len(rows)
    for row in rows:
        source = row["source"]
        assert source.startswith(("http://", "https://",
                                  "written for the test, in the style of http"))
    found = [row for row in rows if row["source"].startswith("http")]
    assert len(found) >= 150  # most phrases are as found; the rest are marked as written
    declined = [row for row in rows if row["expected"] == "declined"]
    assert 40 <= len(declined) <= len(rows) - 150


def test_targets_hold(evaluation) -> None:
    summary, outcomes = evaluation.evaluate(evaluation.load_table(), START)
    wrong = [(phrase, outcome) for phrase, outcome in outcomes
             if outcome in ("wrong_dates", "wrong_times", "time_missing", "wrong_notes")]
    assert wrong == []
    assert summary["wrong_dates"] == 0 and summary["wrong_times"] == 0
    assert summary["right_share"] >= 0.90
    assert summary["declined_clear_share"] <= 0.05
    assert summary["targets_met"] is True


@pytest.mark.parametrize(
    ("phrase", "wrong_rule", "outcome"),
    [
        ("毎月第2水曜日 11時から14時まで", "nth=3WE time=11:00-14:00", "wrong_dates"),
        ("毎月第2水曜日 11時から14時まで", "nth=2WE time=11:00-15:00", "wrong_times"),
        ("毎月第2水曜日 11時から14時まで", "nth=2WE hol=off time=11:00-14:00", "wrong_dates"),
        ("毎月第2水曜日 11時から14時まで", "nth=2WE hol=open time=11:00-14:00", "wrong_notes"),
        ("毎週金曜日 1時半から4時まで", "wd=FR time=13:30-16:00", "time_missing"),
        ("第1・3月曜(祝日の場合翌日開催)13時30分~15時30分", "nth=1MO,3MO time=13:30-15:30",
         "wrong_dates"),
        ("毎月第4火曜日(予定)", "nth=4TU", "declined_clear"),
        ("毎月第2土曜日", "declined", "wrong_dates"),
    ],
)
def test_a_wrong_reading_is_caught(evaluation, phrase: str, wrong_rule: str, outcome: str) -> None:
    assert evaluation.judge(wrong_rule, START, phrase) == outcome


def test_the_report_script_prints_the_result_and_exits_zero() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    result = json.loads(last.removeprefix("RESULT "))
    assert result["targets_met"] is True and result["phrases"] >= 200
