"""A pipeline file (`pipelines/monthly.toml`) describes a monthly run; this reads and checks it.

Paths in the file are relative to the file's own folder, so a pipeline works from anywhere.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ledgerflow.errors import UsageError
from ledgerflow.rules.consolidate import MoneySettings
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.rules.period import Period
from ledgerflow.validate.table import ValueSettings

KNOWN = {
    "inbox", "warehouse", "reports", "period", "outputs", "locale", "templates", "rounding",
    "partial", "date_order", "rules",
}


@dataclass(frozen=True)
class PipelineConfig:
    source: Path
    inbox: Path
    warehouse: Path
    reports: Path
    period: str | None = None  # "2026-10"; None: the previous calendar month
    outputs: tuple[str, ...] = ("html", "xlsx")
    locale: str = "ru"
    templates: Path | None = None
    money: MoneySettings = field(default_factory=MoneySettings)
    values: ValueSettings = field(default_factory=ValueSettings)
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)
    partial: bool = False
    on_refused: str = "draft"  # "draft": statements carry a banner; "stop": no statements

    def resolve_period(self, override: str | None, today: date) -> Period:
        chosen = override or self.period
        return Period.month(chosen) if chosen else Period.previous_month(today)

    def settings(self) -> dict[str, Any]:
        """What shaped the numbers and the layout: goes into the run id and the manifest."""
        return {
            "locale": self.locale, "rounding": self.money.rounding, "outputs": list(self.outputs),
            "date_order": self.values.date_order, "partial": self.partial,
            "rules": {"same_tax_id": self.hierarchy.same_tax_id,
                      "naming": self.hierarchy.naming_convention},
            "templates": str(self.templates) if self.templates else None,
        }


def _choice(table: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise UsageError(f"{key} must be one of {', '.join(allowed)}, not {value!r}.")
    return str(value)


def load_config(path: Path) -> PipelineConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"No pipeline file at {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The pipeline file {path} is not valid TOML: {exc}") from exc
    unknown = set(data) - KNOWN
    if unknown:
        raise UsageError(f"Unknown settings in {path}: {', '.join(sorted(unknown))}.")
    for required in ("inbox", "warehouse", "reports"):
        if required not in data:
            raise UsageError(f"The pipeline file {path} needs '{required}'.")
    base = path.parent

    def place(name: str) -> Path:
        return Path(os.path.normpath(base / name))

    rules = data.get("rules", {})
    outputs = tuple(data.get("outputs", ["html", "xlsx"]))
    if not set(outputs) <= {"html", "xlsx"}:
        raise UsageError("outputs may list html and xlsx only.")
    period = data.get("period")
    if period is not None:
        Period.month(str(period))  # fail early on a bad period
    return PipelineConfig(
        source=path, inbox=place(data["inbox"]), warehouse=place(data["warehouse"]),
        reports=place(data["reports"]), period=str(period) if period else None,
        outputs=outputs, locale=_choice(data, "locale", ("ru", "en"), "ru"),
        templates=place(data["templates"]) if data.get("templates") else None,
        money=MoneySettings(_choice(data, "rounding", ("half_up", "half_even"),  # type: ignore[arg-type]
                                    "half_up")),
        values=ValueSettings(date_order=data.get("date_order") or None),
        hierarchy=HierarchySettings(
            same_tax_id=_choice(rules, "same_tax_id", ("error", "warning"), "error"),  # type: ignore[arg-type]
            naming_convention=_choice(rules, "naming", ("error", "warning"), "warning")),  # type: ignore[arg-type]
        partial=bool(data.get("partial", False)),
    )
