"""Contacts of places as coordinators write them: a name and a Japanese phone number.

``あんしんセンター関越中央 027-386-2270`` gives the phone ``027-386-2270`` (dialled as
``0273862270``) and the name ``あんしんセンター関越中央``. Numbers may be written with
full-width digits, hyphens of any kind, brackets around the area code (``027（386）2270``) or
spaces. Only numbers of 10 or 11 digits starting with 0 are taken (Japanese landlines, mobile
phones and 0120 free dials); anything else stays in the text and gets no link.

Examples
--------
>>> contact = parse_contact("あんしんセンター関越中央 027-386-2270")
>>> contact.name, contact.phones[0].digits, contact.phones[0].href
('あんしんセンター関越中央', '0273862270', 'tel:0273862270')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["Contact", "Phone", "parse_contact"]

_SEPARATOR = r"[\s\-‐‑‒–—―−ー－()（）]{0,3}"
_PHONE = re.compile(rf"(?<![\d])0\d{{1,4}}{_SEPARATOR}\d{{1,4}}{_SEPARATOR}\d{{3,4}}(?![\d])")
_NAME_TRIM = " 　/／,、・:："
_LABEL_WORDS = re.compile(r"(?:電話|TEL|Tel|tel|℡)\s*[:：]?\s*$")


@dataclass(frozen=True)
class Phone:
    """One phone number: as written (normalised) and as dialled."""

    #: The number as written, with ASCII digits and hyphens (``027-386-2270``).
    text: str
    #: Only the digits (``0273862270``).
    digits: str

    @property
    def href(self) -> str:
        """A ``tel:`` link that dials the number."""
        return f"tel:{self.digits}"


@dataclass(frozen=True)
class Contact:
    """A contact text split into the name (who answers) and the phone numbers in it."""

    text: str
    name: str = ""
    phones: tuple[Phone, ...] = field(default_factory=tuple)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_contact(text: str | None) -> Contact:
    """
    Find the phone numbers in a contact text; never raises.

    Parameters
    ----------
    text
        As written in the places layer (``None`` and ``""`` give an empty contact).

    Returns
    -------
    Contact
        ``name`` is the text without the numbers (and words like ``TEL:``); ``phones`` are
        the numbers of 10 or 11 digits starting with 0, in order.

    Examples
    --------
    >>> contact = parse_contact("市役所 ０２７（３２１）１２３４／携帯 090-1234-5678")
    >>> [p.text for p in contact.phones]
    ['027(321)1234', '090-1234-5678']
    >>> parse_contact("会場へ直接").phones
    ()
    """
    original = (text or "").strip()
    norm = _normalise(original)
    phones: list[Phone] = []
    name_parts: list[str] = []
    position = 0
    for match in _PHONE.finditer(norm):
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) not in (10, 11):
            continue
        phones.append(Phone(text=re.sub(r"\s+", "", match.group(0)).replace("ー", "-"),
                            digits=digits))
        name_parts.append(_LABEL_WORDS.sub("", norm[position:match.start()]))
        position = match.end()
    name_parts.append(norm[position:])
    parts = (part.strip(_NAME_TRIM) for part in name_parts)
    name = " ".join(part for part in parts if part)
    return Contact(text=original, name=name if phones else original, phones=tuple(phones))
