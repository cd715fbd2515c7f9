"""A pipeline file (`pipelines/monthly.toml`) describes a monthly run; this reads and checks it.

Paths in the file are relative to the file's own folder, so a pipeline works from anywhere.

The file is checked strictly against a schema: a value of the wrong type (`partial = "no"`), a
value outside its list (`locale = "de"`) and a key the schema does not know, at any depth
(`[rules]` `nameing = ...`), are errors. All the problems of a file are reported at once, one line
each, naming the key, the line of the file it is written on, what was found and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from ledgerflow.choices import (
    DEFAULT_OUTPUTS,
    OUTPUTS,
    DateOrder,
    Locale,
    OnRefused,
    Output,
    PdfEngine,
)
from ledgerflow.deliver.settings import (
    Attachment,
    MailSettings,
    ReminderAfter,
    ReminderLevel,
    Security,
    SmtpSettings,
)
from ledgerflow.errors import UsageError
from ledgerflow.i18n import N_, _, ngettext
from ledgerflow.rules.consolidate import MoneySettings, Rounding
from ledgerflow.rules.hierarchy import HierarchySettings, Severity
from ledgerflow.rules.period import Period
from ledgerflow.validate.table import ValueSettings
from ledgerflow.watch.settings import WatchSettings


class _Strict(BaseModel):
    # TOML already gives typed values: no coercion ("no" is not false), no unknown keys
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Rules(_Strict):
    same_tax_id: Severity = "error"  # L5
    naming: Severity = "warning"  # L6


class _PipelineFile(_Strict):
    """The schema of a pipeline file; `load_config` turns it into a `PipelineConfig`."""

    inbox: str
    warehouse: str
    reports: str
    period: str | None = None
    outputs: list[Output] = Field(default_factory=lambda: list(DEFAULT_OUTPUTS))
    pdf_engine: PdfEngine = "weasyprint"
    locale: Locale = "ru"
    templates: str | None = None
    rounding: Rounding = "half_up"
    partial: bool = False
    date_order: DateOrder | None = None
    on_refused: OnRefused = "draft"
    rules: _Rules = Field(default_factory=_Rules)
    # e-mail (ledgerflow.deliver): the server, what a message carries, the reminder levels
    smtp: SmtpSettings | None = None
    mail: MailSettings = Field(default_factory=MailSettings)
    reminders: list[ReminderLevel] = Field(default_factory=list)
    watch: WatchSettings = Field(default_factory=WatchSettings)  # `ledgerflow watch`

    @field_validator("inbox", "warehouse", "reports", "templates")
    @classmethod
    def _a_path(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise PydanticCustomError("empty_path", "the path is empty")
        return value

    @field_validator("period")
    @classmethod
    def _a_month(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Period.month(value)
            except UsageError as exc:
                raise PydanticCustomError("period_format", "not a month like 2026-10") from exc
        return value


# What each choice allows, for the messages (taken from the schema's own types).
_ALLOWED: dict[str, tuple[str, ...]] = {
    "outputs": OUTPUTS, "locale": get_args(Locale), "rounding": get_args(Rounding),
    "date_order": get_args(DateOrder), "on_refused": get_args(OnRefused),
    "pdf_engine": get_args(PdfEngine), "rules.same_tax_id": get_args(Severity),
    "rules.naming": get_args(Severity), "smtp.security": get_args(Security),
    "mail.attach": get_args(Attachment), "reminders.after": get_args(ReminderAfter),
}
_PATH_EXAMPLES = {"inbox": "../inbox", "warehouse": "../reports/ledger.duckdb",
                  "reports": "../reports", "templates": "../templates",
                  "watch.feedback": "../feedback"}
_MISSING_HINTS = {
    "inbox": N_("it says which folder the accountants drop their workbooks into"),
    "warehouse": N_("it says where the DuckDB warehouse file is"),
    "reports": N_("it says which folder the statements go to"),
}


@dataclass(frozen=True)
class PipelineConfig:
    source: Path
    inbox: Path
    warehouse: Path
    reports: Path
    period: str | None = None  # "2026-10"; None: the previous calendar month
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    locale: str = "ru"
    templates: Path | None = None
    pdf_engine: str = "weasyprint"
    money: MoneySettings = field(default_factory=MoneySettings)
    values: ValueSettings = field(default_factory=ValueSettings)
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)
    partial: bool = False
    on_refused: str = "draft"  # "draft": statements carry a banner; "stop": no statements
    smtp: SmtpSettings | None = None  # [smtp]: how `send --deliver` reaches the mail server
    attach: tuple[str, ...] = ("pdf",)  # [mail] attach: the statement files a message carries
    reminders: tuple[ReminderLevel, ...] = ()  # [[reminders]]; none: the default levels
    watch: WatchSettings = field(default_factory=WatchSettings)  # [watch]: `ledgerflow watch`
    feedback: Path | None = None  # [watch] feedback, resolved; None: feedback/ beside the inbox

    @property
    def feedback_folder(self) -> Path:
        """Where `ledgerflow watch` writes a feedback file for each file it takes: the
        `[watch]` table's `feedback`, else a `feedback` folder beside the inbox (never in it,
        where it would be read as input)."""
        return self.feedback or self.inbox.parent / "feedback"

    def resolve_period(self, override: str | None, today: date) -> Period:
        chosen = override or self.period
        return Period.month(chosen) if chosen else Period.previous_month(today)

    def settings(self) -> dict[str, Any]:
        """What shaped the numbers and the layout: goes into the run id and the manifest."""
        return {
            "locale": self.locale, "rounding": self.money.rounding, "outputs": list(self.outputs),
            **self.ingest_settings(),
            "templates": str(self.templates) if self.templates else None,
            "on_refused": self.on_refused, "pdf_engine": self.pdf_engine,
        }

    def ingest_settings(self) -> dict[str, Any]:
        """The settings that shaped what was loaded (a `report` has none of them)."""
        return {"date_order": self.values.date_order, "partial": self.partial,
                "rules": {"same_tax_id": self.hierarchy.same_tax_id,
                          "naming": self.hierarchy.naming_convention}}

    def check_places(self) -> None:
        """Check, before anything is loaded, the places the run reads and writes.

        The warehouse's folder must be a writable folder (and the warehouse, if it exists, a
        writable file); the reports folder must be writable or creatable; the inbox and the
        templates folder (if set) must be existing folders. Writability is tried for real (a
        temporary file is created and removed), as permission bits say little to root or on
        network shares. All problems are reported in one `UsageError`.
        """
        name = self.source.name
        problems = []
        for check, place, key in ((_warehouse_problems, self.warehouse, "warehouse"),
                                  (_reports_problems, self.reports, "reports")):
            try:
                problems += check(place, name)
            except OSError as exc:  # a parent that may not even be looked into
                problems.append(_("{place} cannot be checked ({why}); fix `{key}` in "
                                  "{name}.").format(place=place, why=exc.strerror, key=key,
                                                    name=name))
        if not self.inbox.is_dir():
            problems.append((_("The inbox, {inbox}, is a file, not a folder; create it or fix "
                               "`inbox` in {name}.") if self.inbox.exists() else
                             _("The inbox, {inbox}, does not exist; create it or fix `inbox` in "
                               "{name}.")).format(inbox=self.inbox, name=name))
        if self.templates is not None and not self.templates.is_dir():
            problems.append((_("The templates folder, {folder}, is a file, not a folder; fix "
                               "`templates` in {name} or leave it out for the built-in "
                               "templates.") if self.templates.exists() else
                             _("The templates folder, {folder}, does not exist; fix `templates` "
                               "in {name} or leave it out for the built-in templates.")).format(
                folder=self.templates, name=name))
        if problems:
            raise UsageError("\n".join(problems))


def _cannot_write(folder: Path) -> str | None:
    """Why a file cannot be created in `folder`, or None when it can (tried, not guessed)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".ledgerflow-check-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(handle)
    os.unlink(probe)
    return None


def _warehouse_problems(warehouse: Path, name: str) -> list[str]:
    folder = warehouse.parent
    fix = _("fix `warehouse` in {name}").format(name=name)
    if not folder.exists():
        return [_("The folder of the warehouse, {folder}, does not exist; create it or "
                  "{fix}.").format(folder=folder, fix=fix)]
    if not folder.is_dir():
        return [_("The folder of the warehouse, {folder}, is a file, not a folder; {fix}.").format(
            folder=folder, fix=fix)]
    problems = []
    if warehouse.is_dir():
        problems.append(_("The warehouse, {warehouse}, is a folder, not a file; {fix}.").format(
            warehouse=warehouse, fix=fix))
    elif warehouse.exists():
        try:  # opened for writing, never created (no O_CREAT), nothing written
            os.close(os.open(warehouse, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            problems.append(_("The warehouse, {warehouse}, cannot be written ({why}); "
                              "{fix}.").format(warehouse=warehouse, why=exc.strerror, fix=fix))
    why = _cannot_write(folder)  # DuckDB also writes its journal and spill files beside it
    if why is not None:
        problems.append(_("Nothing can be written in the folder of the warehouse, {folder} "
                          "({why}); {fix}.").format(folder=folder, why=why, fix=fix))
    return problems


def _reports_problems(reports: Path, name: str) -> list[str]:
    fix = _("fix `reports` in {name}").format(name=name)
    if reports.exists() and not reports.is_dir():
        return [_("The reports folder, {reports}, is a file, not a folder; {fix}.").format(
            reports=reports, fix=fix)]
    existing = reports
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [_("The reports folder, {reports}, cannot be created: {existing} is a file, not "
                  "a folder; {fix}.").format(reports=reports, existing=existing, fix=fix)]
    why = _cannot_write(existing)
    if why is None:
        return []
    if existing == reports:
        return [_("Nothing can be written in the reports folder, {reports} ({why}); "
                  "{fix}.").format(reports=reports, why=why, fix=fix)]
    return [_("The reports folder, {reports}, cannot be created in {existing} ({why}); "
              "{fix}.").format(reports=reports, existing=existing, why=why, fix=fix)]


def load_config(path: Path) -> PipelineConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(_("No pipeline file at {path}.").format(path=path)) from exc
    except UnicodeDecodeError as exc:
        raise UsageError(_("The pipeline file {path} is not UTF-8 text.").format(
            path=path)) from exc
    except OSError as exc:
        raise UsageError(_("The pipeline file {path} cannot be read ({why}).").format(
            path=path, why=exc.strerror)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(_("The pipeline file {path} is not valid TOML: {why}").format(
            path=path, why=exc)) from exc
    try:
        checked = _PipelineFile.model_validate(data)
    except ValidationError as exc:
        raise UsageError(_describe(exc, path.name, text)) from None
    base = path.parent

    def place(name: str) -> Path:
        return Path(os.path.normpath(base / name))

    return PipelineConfig(
        source=path, inbox=place(checked.inbox), warehouse=place(checked.warehouse),
        reports=place(checked.reports), period=checked.period,
        outputs=tuple(dict.fromkeys(checked.outputs)), pdf_engine=checked.pdf_engine,
        locale=checked.locale,
        templates=place(checked.templates) if checked.templates is not None else None,
        money=MoneySettings(checked.rounding),
        values=ValueSettings(date_order=checked.date_order),
        hierarchy=HierarchySettings(same_tax_id=checked.rules.same_tax_id,
                                    naming_convention=checked.rules.naming),
        partial=checked.partial, on_refused=checked.on_refused, smtp=checked.smtp,
        attach=tuple(checked.mail.attach), reminders=tuple(checked.reminders),
        watch=checked.watch,
        feedback=place(checked.watch.feedback) if checked.watch.feedback is not None else None,
    )


# --- messages -------------------------------------------------------------------------------


def _describe(error: ValidationError, name: str, text: str) -> str:
    """All the problems pydantic found, one line each, in the file's order, in plain words."""
    found = []
    for details in error.errors(include_url=False):
        keys = [str(part) for part in details["loc"] if isinstance(part, str)]
        line = key_line(text, keys) if keys else None
        where = _("{name}, line {line}").format(name=name, line=line) if line else name
        found.append((line or 0, f"{where}: {_sentence(details, keys)}"))
    lines = [message for _line, message in sorted(found, key=lambda item: item[0])]
    if len(lines) == 1:
        return lines[0]
    return ngettext("{name} has {count} problem:", "{name} has {count} problems:",
                    len(lines)).format(name=name, count=len(lines)) + "\n" + "\n".join(
        f"  {line}" for line in lines)


def _sentence(details: ErrorDetails, keys: list[str]) -> str:
    kind, key, value = details["type"], ".".join(keys), details.get("input")
    shown = _shown(value)
    if kind == "missing":
        hint = _MISSING_HINTS.get(key)
        return _("{key} is missing; {hint}.").format(key=key, hint=_(hint)) if hint else \
            _("{key} is missing.").format(key=key)
    if kind == "extra_forbidden":
        return _unknown(keys)
    if kind == "literal_error":
        allowed = ", ".join(_ALLOWED.get(key, ()))
        if key == "outputs":
            return _("outputs may list only {allowed}, not {shown}.").format(
                allowed=allowed, shown=shown)
        if key == "date_order":
            return _("{key} must be one of {allowed} (or leave {key} out), not {shown}.").format(
                key=key, allowed=allowed, shown=shown)
        return _("{key} must be one of {allowed}, not {shown}.").format(
            key=key, allowed=allowed, shown=shown)
    if kind == "bool_type":
        quoted = isinstance(value, str) and value.lower() in ("true", "false")
        return (_("{key} must be true or false (written without quotes), not {shown}.")
                if quoted else _("{key} must be true or false, not {shown}.")).format(
            key=key, shown=shown)
    if kind == "string_type":
        if key in _PATH_EXAMPLES:
            return _('{key} must be a path in quotes, like {key} = "{example}", not '
                     "{shown}.").format(key=key, example=_PATH_EXAMPLES[key], shown=shown)
        if key == "period":
            return _('period must be a month in quotes, like period = "2026-10", not '
                     "{shown}.").format(shown=shown)
        return _("{key} must be text in quotes, not {shown}.").format(key=key, shown=shown)
    if kind == "list_type" and key == "reminders":
        return _("reminders must be tables, each written as a [[reminders]] line with its "
                 "settings below it, not {shown}.").format(shown=shown)
    if kind == "list_type":
        example = ", ".join(f'"{o}"' for o in (get_args(Attachment) if key == "mail.attach"
                                               else OUTPUTS))
        return _("{key} must be a list, like {key} = [{example}], not {shown}.").format(
            key=key, example=example, shown=shown)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _("{key} must be a table (a [{key}] line with its settings below it), not "
                 "{shown}.").format(key=key, shown=shown)
    if kind == "empty_path":
        return (_('{key} is empty; write a path, like {key} = "{example}", or leave it out.')
                if key in ("templates", "watch.feedback") else
                _('{key} is empty; write a path, like {key} = "{example}".')).format(
            key=key, example=_PATH_EXAMPLES[key])
    if kind == "period_format":
        return _('period must be a month like "2026-10", not {shown}.').format(shown=shown)
    if kind == "int_type":
        return _("{key} must be a whole number, not {shown}.").format(key=key, shown=shown)
    if kind == "float_type":
        return _("{key} must be a number, not {shown}.").format(key=key, shown=shown)
    if kind == "seconds":
        return _("{key} must be a number of seconds above 0 and up to 3600, not {shown}.").format(
            key=key, shown=shown)
    if kind == "password_env":  # what was written may be the password: not repeated
        return f"{key} {_(_MAIL_PROBLEMS[kind])}."
    if kind in _MAIL_PROBLEMS:
        return _("{key} {problem}, not {shown}.").format(
            key=key, problem=_(_MAIL_PROBLEMS[kind]), shown=shown)
    if kind == "login":
        return _("[smtp] sets password_env but no user: the password is for the user's login.")
    if kind == "attach_pdf":
        return _('mail.attach must name "pdf" (a statement is sent as a PDF), not '
                 "{shown}.").format(shown=shown)
    # a check this module does not make: kept in plain words
    return _("{key} cannot be {shown}.").format(key=key, shown=shown)


_MAIL_PROBLEMS = {
    "address": N_('must be one e-mail address, like "Бухгалтерия <billing@example.ru>"'),
    "host": N_("must be the mail server's host name"),
    "port": N_("must be a port from 1 to 65535"),
    "timeout": N_("must be a number of seconds from 1 to 3600"),
    "password_env": N_("must be the name of the environment variable that holds the password "
                       '(like "SMTP_PASSWORD"), never the password itself'),
    "days": N_("must be a number of days, 0 or more"),
    "template_name": N_('must be a template name like "reminder_final" (letters, digits, _ and '
                        "-)"),
}


def _table_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a table setting: `Model`, `Model | None` or `list[Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in get_args(annotation):
        found = _table_model(inner)
        if found is not None:
            return found
    return None


def _unknown(keys: list[str]) -> str:
    """An unknown key: where it is, and what was probably meant or what is known there."""
    model: type[BaseModel] = _PipelineFile
    for part in keys[:-1]:
        inner = _table_model(model.model_fields[part].annotation) \
            if part in model.model_fields else None
        if inner is None:
            break
        model = inner
    known = [f.alias or name for name, f in model.model_fields.items()]
    table = ".".join(keys[:-1])
    close = difflib.get_close_matches(keys[-1], known, n=1, cutoff=0.7)
    tail = _("did you mean {close}?").format(close=close[0]) if close else _(
        "the settings are {known}.").format(known=", ".join(known))
    if table:
        return _("{key} is not a setting of [{table}]; {tail}").format(
            key=".".join(keys), table=table, tail=tail)
    return _("{key} is not a setting of a pipeline file; {tail}").format(
        key=".".join(keys), tail=tail)


def _shown(value: Any) -> str:
    """A value as it is written in TOML, cut short when long."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, date | datetime | time):
        shown = value.isoformat()
    elif isinstance(value, list):
        shown = "[" + ", ".join(_shown(item) for item in value) + "]"
    elif isinstance(value, dict):
        return _("a table")
    else:
        shown = str(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# --- where a key is written -------------------------------------------------------------------


def key_line(text: str, key: str | Sequence[str]) -> int | None:
    """The 1-based line of a TOML text on which the dotted `key` (`rules.naming`) is written.

    `tomllib` keeps no positions, so this follows the text: `[table]` and `[[array]]` headers,
    `a.b = ...` dotted keys, quoted keys, and values that span lines (multi-line strings and
    arrays) whose lines are not taken for keys. A table's key is found on its header; a key
    inside an inline table (`rules = {naming = "x"}`) on the line of the inline table. None when
    the key is not written in the text.
    """
    target = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
    table: tuple[str, ...] = ()
    state = _ScanState()
    enclosing: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if state.open():  # inside a value that began on an earlier line
            state.scan(line)
            continue
        stripped = line.strip()
        if stripped.startswith("["):
            closing = "]]" if stripped.startswith("[[") else "]"
            inner = stripped[len(closing):]
            end = _outside_quotes(inner, closing)
            table = _split_key(inner[:end] if end >= 0 else inner)
            if table == target:
                return number
            continue
        equals = _outside_quotes(line, "=")
        if equals < 0 or stripped.startswith("#"):
            continue
        full = table + _split_key(line[:equals])
        if full == target:
            return number
        if enclosing is None and len(full) < len(target) and target[:len(full)] == full:
            enclosing = number  # an inline table holding the key
        state.scan(line[equals + 1:])
    return enclosing


def _split_key(text: str) -> tuple[str, ...]:
    parts, start = [], 0
    while True:
        dot = _outside_quotes(text[start:], ".")
        if dot < 0:
            parts.append(text[start:])
            break
        parts.append(text[start:start + dot])
        start += dot + 1
    return tuple(_unquote(part.strip()) for part in parts)


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part


def _outside_quotes(text: str, wanted: str) -> int:
    """The index of `wanted` in `text` outside quoted strings; -1 when absent."""
    quote: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif text.startswith(wanted, index):
            return index
        elif char == "#":
            return -1
        index += 1
    return -1


class _ScanState:
    """Whether a value goes on past the end of its line: open brackets, open triple quotes."""

    def __init__(self) -> None:
        self.depth = 0
        self.multiline: str | None = None  # the closing '"""' or "'''"

    def open(self) -> bool:
        return self.depth > 0 or self.multiline is not None

    def scan(self, text: str) -> None:
        index = 0
        while index < len(text):
            if self.multiline:
                if text[index] == "\\" and self.multiline == '"""':
                    index += 2
                    continue
                if text.startswith(self.multiline, index):
                    index += 3
                    self.multiline = None
                    continue
                index += 1
                continue
            char = text[index]
            if text.startswith('"""', index) or text.startswith("'''", index):
                self.multiline = text[index:index + 3]
                index += 3
                continue
            if char in "\"'":  # a one-line string: skip to its end
                index += 1
                while index < len(text) and text[index] != char:
                    index += 2 if char == '"' and text[index] == "\\" else 1
            elif char == "#":
                return
            elif char in "[{":
                self.depth += 1
            elif char in "]}":
                self.depth = max(0, self.depth - 1)
            index += 1
