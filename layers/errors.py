"""Problems found in data layers: each names the file, row and field and says how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["LayerError", "Problem", "Severity", "format_problems"]


class Severity(StrEnum):
    """How serious a problem is: errors stop a layer from loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """
    One thing wrong with one layer file.

    ``row`` is the row as a spreadsheet shows it (the header is row 1, so the first record
    of a CSV is row 2) or, for GeoJSON/GeoPackage/Shapefile, the 1-based feature number.
    """

    path: Path | str
    problem: str
    row: int | None = None
    field: str | None = None
    fix: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = [Path(self.path).name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = f"{', '.join(where)}: {self.problem}"
        if self.fix:
            text += f" {self.fix}"
        return text


def format_problems(problems: list[Problem]) -> str:
    """One line per problem, errors first, each prefixed by its severity."""
    ordered = sorted(problems, key=lambda p: (not p.is_error, str(p.path), p.row or 0))
    return "\n".join(f"{p.severity.value.upper()}: {p}" for p in ordered)


class LayerError(ValueError):
    """A data layer cannot be used as it is; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))

    def __reduce__(self) -> tuple:
        """Pickled with its problems (it crosses to the process that reports it)."""
        return (type(self), (self.problems,))

    @classmethod
    def single(
        cls,
        path: Path | str,
        problem: str,
        *,
        row: int | None = None,
        field: str | None = None,
        fix: str = "",
    ) -> LayerError:
        """Build an error from one problem (convenience for file-level failures)."""
        return cls(Problem(path, problem, row=row, field=field, fix=fix))
