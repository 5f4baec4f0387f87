"""Schedule text in one spelling: half-width digits, one tilde, numbers in kanji as digits.

The reading that follows only deals with ``~`` for ranges (〜, ～, ―, ー between numbers …),
ASCII digits and parentheses, and a session mark ``◆`` for ①②③.

Examples
--------
>>> normalise("第二・四木曜日　午前十時〜正午")
'第2・4木曜日 午前10時~正午'
>>> normalise("①１０時ー １２時半")
'◆10時~12時半'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SESSION_MARK", "kanji_number", "normalise"]

#: What ①②③ (and the like) become: the start of a session.
SESSION_MARK = "◆"

_CIRCLED = re.compile("[\u2460-\u2473\u24f5-\u24fe\u2776-\u277f\u2780-\u2789\u278a-\u2793]")
_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                 "八": 8, "九": 9}
_KANJI_RUN = "[〇一二三四五六七八九十]+"
# a kanji number after 第, or before a unit of time or count
_KANJI_AFTER_ORDINAL = re.compile(rf"(?<=第)\s*({_KANJI_RUN})")
_KANJI_BEFORE_UNIT = re.compile(
    rf"({_KANJI_RUN})(?=\s*(?:時|分|月|日|回|度|週|年|か月|ヶ月|ヵ月|カ月))")
# 第2・四: a kanji number listed after a digit
_KANJI_LISTED = re.compile(rf"(?<=\d[・、,と~])({_KANJI_RUN})")
_DASHES = re.compile("[〜～―‐−–—]")
# ー and - as a range only between numbers or times: 10ー12時, 13:00-15:00, 午後1時-3時
_DASH_BETWEEN = re.compile(r"(?<=[\d時分半午])\s*[ー\-]\s*(?=[\d午正])")


def kanji_number(text: str) -> int:
    """
    The value of a kanji number up to 99: 三 → 3, 十五 → 15, 二十 → 20.

    Examples
    --------
    >>> kanji_number("十五"), kanji_number("二十"), kanji_number("四")
    (15, 20, 4)
    """
    if "十" not in text:
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (kanji_number(tens) if tens else 1) * 10 + (kanji_number(ones) if ones else 0)


def _as_digits(match: re.Match[str]) -> str:
    return str(kanji_number(match.group(1)))


def normalise(text: str | None) -> str:
    """
    One spelling of ``text`` (NFKC, digits, ``~`` for ranges, ``◆`` for ①②…), trimmed.

    Positions in the result are what the reading reports; the text as written is kept
    beside it for people.
    """
    text = _CIRCLED.sub(f" {SESSION_MARK}", text or "")
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("~", text)
    text = _KANJI_AFTER_ORDINAL.sub(_as_digits, text)
    text = _KANJI_BEFORE_UNIT.sub(_as_digits, text)
    text = _KANJI_LISTED.sub(_as_digits, text)
    text = _DASH_BETWEEN.sub("~", text)
    return re.sub(r"\s+", " ", text).strip()
