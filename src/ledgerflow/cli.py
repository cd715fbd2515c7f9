"""The `ledgerflow` command: thin wrappers over the library, clean messages, meaningful exit codes.

Exit codes: 0 clean; 1 finished but something was refused; 2 usage error; 3 could not run.

Every command speaks the run's locale (`ledgerflow.i18n`): `--locale ru|en`, which every command
takes (and the group, before the command); else the environment's LEDGERFLOW_LOCALE; else the
pipeline file's `locale` for the commands that read one (PIPELINE, or --pipeline); else Russian.
The statements follow `--locale` too (`report`, `run`); without it, `report` writes them in the
--pipeline file's locale, else Russian, and `run` in its pipeline's.

The help is translated as well, when it is shown rather than when the commands are declared
(click builds them at import, before any option is read): `LocalizedCommand` translates each
command's docstring and each option's help text by the catalogs, and the words click itself
adds (Usage, Options, Commands, [default: …]). So `ledgerflow validate --locale en --help` (the
option before --help) and `LEDGERFLOW_LOCALE=en ledgerflow --help` are in English, and the help
is Russian by default. Click's own error messages for a mistyped option stay in English: they
come from click's catalog, which has no Russian.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from ledgerflow import __version__
from ledgerflow.choices import (
    DEFAULT_OUTPUTS,
    OUTPUTS,
    DateOrder,
    Locale,
    PdfEngine,
    Rounding,
    RuleSeverity,
)
from ledgerflow.errors import LedgerflowError, UsageError
from ledgerflow.i18n import ENVIRONMENT, N_, _, ngettext, use_locale
from ledgerflow.rules.period import Period

if TYPE_CHECKING:  # the commands import what they use when they run: `--help` stays quick
    from ledgerflow.config import PipelineConfig
    from ledgerflow.deliver.batch import BatchResult
    from ledgerflow.monthly import ReportResult, RunResult
    from ledgerflow.pipeline import FileOutcome, IngestReport



DEFAULT_WAREHOUSE = Path("ledger.duckdb")
LOCALE_OPTION = "ledgerflow.locale"  # ctx.meta: the locale --locale chose for this command
LOCALE_PIPELINE = "ledgerflow.pipeline_locale"  # ctx.meta: the pipeline file's locale


def _choose_locale(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """--locale: every message of the command (and its help, when --locale comes before --help)
    in that language, and the earlier setting back when the command ends."""
    if value is not None:
        ctx.meta[LOCALE_OPTION] = value
        ctx.with_resource(use_locale(value))


def _locale_and_value(ctx: click.Context, param: click.Parameter, value: str | None
                      ) -> str | None:
    _choose_locale(ctx, param, value)
    return value


def locale_option() -> click.Option:
    return click.Option(
        ["--locale"], type=click.Choice(get_args(Locale)), default=None, is_eager=True,
        expose_value=False, callback=_choose_locale,
        help=N_("Language of the messages (and of the statements): ru or en [default: "
                "LEDGERFLOW_LOCALE, else the pipeline's locale, else ru]."))


def pipeline_locale(locale: str) -> None:
    """The pipeline file's locale for the rest of the command, unless --locale or
    LEDGERFLOW_LOCALE chose one."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    ctx.meta[LOCALE_PIPELINE] = locale
    if ctx.meta.get(LOCALE_OPTION) or os.environ.get(ENVIRONMENT, "").strip():
        return
    ctx.with_resource(use_locale(locale))


def statement_locale(default: str = "ru") -> str:
    """The statements' locale: --locale's, else the pipeline file's, else `default`."""
    ctx = click.get_current_context(silent=True)
    meta = {} if ctx is None else ctx.meta
    return str(meta.get(LOCALE_OPTION) or meta.get(LOCALE_PIPELINE) or default)


# click's own words in the help, for the catalogs (click adds them; LocalizedCommand translates)
_CLICK_WORDS = (N_("Usage: "), N_("Options"), N_("Commands"), N_("Show this message and exit."),
                N_("Show the version and exit."), N_("default: "), N_("required"))


def _translated(text: str | None) -> str | None:
    """A help text in the active locale (looked up as click shows it: cleaned of indentation)."""
    import inspect

    return _(inspect.cleandoc(text)) if text else text


class _Localized:
    """What a command or group does to show its help in the active locale."""

    help: str | None

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original, self.help = self.help, _translated(self.help)
        try:
            super().format_help_text(ctx, formatter)  # type: ignore[misc]
        finally:
            self.help = original

    def get_short_help_str(self, limit: int = 45) -> str:
        original, self.help = self.help, _translated(self.help)
        try:
            return super().get_short_help_str(limit)  # type: ignore[misc, no-any-return]
        finally:
            self.help = original

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if isinstance(param, click.Argument):
                continue
            original = getattr(param, "help", None)
            shown_default = getattr(param, "show_default", None)
            param.help = _translated(original)  # type: ignore[attr-defined]
            if isinstance(shown_default, str):  # a default said in words
                param.show_default = _(shown_default)  # type: ignore[attr-defined]
            try:
                record = param.get_help_record(ctx)
            finally:
                param.help = original  # type: ignore[attr-defined]
                if isinstance(shown_default, str):
                    param.show_default = shown_default  # type: ignore[attr-defined]
            if record is not None:
                shown = record[1].replace("default: ", _("default: ")).replace(
                    "[required]", f"[{_('required')}]")
                rows.append((record[0], shown))
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class LocalizedCommand(_Localized, click.Command):
    """A command whose help is shown in the active locale, with --locale among its options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = [param for param in self.params if param.name == "locale"]
        if not own:
            self.params.append(locale_option())
        for param in own:  # a command's own --locale (of what it writes) sets the messages' too
            param.is_eager = True
            param.callback = _locale_and_value


class LocalizedGroup(_Localized, click.Group):
    """The group of commands: its help and its commands' in the active locale."""

    command_class = LocalizedCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(locale_option())

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _command in rows)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, command.get_short_help_str(limit))
                                    for name, command in rows])


def _run(action: Callable[[], int]) -> None:
    """Run a command body; domain errors become a message and their exit code, not a traceback."""
    try:
        code = action()
    except LedgerflowError as exc:
        click.echo(_("Error: {error}").format(error=exc), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("LEDGERFLOW_DEBUG"):
            raise
        if type(exc).__name__ == "IOException" and "duckdb" in type(exc).__module__:
            click.echo(_("Error: the warehouse could not be read ({error}). It may be damaged "
                         "(cut short by a full disk or a bad copy); ledgerflow has not changed "
                         "it. Restore it from a backup, or move it aside and load the inbox "
                         "files again.").format(error=exc), err=True)
            sys.exit(3)
        click.echo(_(
            "ledgerflow stopped on an unexpected error ({error}). Files are loaded one "
            "transaction each, so none was half-loaded. Run again with LEDGERFLOW_DEBUG=1 for "
            "the details and report them.").format(error=f"{type(exc).__name__}: {exc}"),
            err=True)
        sys.exit(3)
    sys.exit(code)


@click.group(cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ledgerflow")
def main() -> None:
    """ledgerflow: accountants' workbooks in, a verified warehouse and client statements out."""


inbox_argument = click.argument(
    "inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def rule_options(function: Callable[..., None]) -> Callable[..., None]:
    """Severities of the hierarchy rules that are configurable: L5 and L6."""
    function = click.option(
        "--same-tax-id", type=click.Choice(get_args(RuleSeverity)), default="error",
        show_default=True, help="Severity of rule L5: master and related share a tax ID.")(function)
    return click.option(
        "--naming", type=click.Choice(get_args(RuleSeverity)), default="warning",
        show_default=True, help="Severity of rule L6: related_id begins with master_id.")(function)


def warehouse_option(help: str = N_("The DuckDB warehouse file.")) -> Callable[[Any], Any]:
    """--warehouse, and --pipeline (or LEDGERFLOW_PIPELINE) to take it from a pipeline file:
    an explicit --warehouse wins, then the pipeline's, then ./ledger.duckdb."""
    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(function)
        def command(*args: Any, **kwargs: Any) -> None:
            pipeline, wait = kwargs.pop("pipeline"), kwargs.pop("wait")
            if kwargs["warehouse"] is None:
                kwargs["warehouse"] = DEFAULT_WAREHOUSE
                if pipeline is not None:
                    _run_quietly(lambda: kwargs.update(warehouse=_pipeline_warehouse(pipeline)))
            with _environment("LEDGERFLOW_LOCK_WAIT", None if wait is None else repr(wait)):
                function(*args, **kwargs)

        command = click.option(
            "--wait", type=click.FloatRange(min=0, max=86400), default=None, metavar="SECONDS",
            help="Wait up to SECONDS for a warehouse another run is using, instead of failing "
                 "at once (also LEDGERFLOW_LOCK_WAIT).")(command)
        command = click.option(
            "--pipeline", type=click.Path(dir_okay=False, path_type=Path),
            envvar="LEDGERFLOW_PIPELINE", default=None,
            help="A pipeline file whose warehouse to use when --warehouse is not given "
                 "(also LEDGERFLOW_PIPELINE).")(command)
        return click.option(
            "--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
            help=help, show_default=N_("the --pipeline file's, or ledger.duckdb"))(command)
    return decorate


@contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """A setting in the environment for one command (and the processes it starts); None leaves
    the environment as it is."""
    before = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _pipeline_warehouse(pipeline: Path) -> Path:
    return _pipeline_config(pipeline).warehouse


def _pipeline_config(pipeline: Path) -> PipelineConfig:
    """The pipeline file, read and checked; its locale holds for the rest of the command
    unless --locale or LEDGERFLOW_LOCALE chose one."""
    from ledgerflow.config import load_config

    config = load_config(pipeline)
    pipeline_locale(config.locale)
    return config


def _run_quietly(step: Callable[[], object]) -> None:
    """A step before a command's body: a domain error ends the command as `_run` would."""
    try:
        step()
    except LedgerflowError as exc:
        click.echo(_("Error: {error}").format(error=exc), err=True)
        sys.exit(exc.exit_code)


date_order_option = click.option(
    "--date-order", type=click.Choice(get_args(DateOrder)), default=None,
    help="How to read slash dates like 04/03/26 (ambiguous, refused, without this).")


@main.command()
@inbox_argument
@warehouse_option(N_("Warehouse to check IDs and client references against (read only)."))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the refused rows and every problem to this .xlsx workbook.")
@json_option
@date_order_option
@rule_options
def validate(inbox: Path, warehouse: Path, rejects: Path | None, as_json: bool,
             date_order: str | None, same_tax_id: RuleSeverity, naming: RuleSeverity) -> None:
    """Check the files of INBOX without loading anything."""
    from ledgerflow.pipeline import IngestOptions, check_inbox
    from ledgerflow.progress import terminal_progress
    from ledgerflow.rules.hierarchy import HierarchySettings
    from ledgerflow.validate.table import ValueSettings

    options = IngestOptions(values=ValueSettings(date_order=date_order),
                            hierarchy=HierarchySettings(same_tax_id, naming))
    _run(lambda: _report(check_inbox(inbox, warehouse, options, terminal_progress), as_json,
                         rejects, verb="would load"))


@main.command()
@inbox_argument
@warehouse_option()
@click.option("--partial", is_flag=True,
              help="Load the valid rows of a table that has errors (default: refuse the file).")
@click.option("--replace", "replace", multiple=True, metavar="LOAD",
              help="Replace an earlier load (its id, or the name of the file it loaded) with "
                   "the new files of the inbox that hold the same kinds of table, whatever "
                   "they are called. Repeat for several loads.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the rejects workbook (default: rejects.xlsx beside the "
                   "warehouse, when anything was refused).")
@json_option
@date_order_option
@rule_options
def load(inbox: Path, warehouse: Path, partial: bool, replace: tuple[str, ...],
         rejects: Path | None, as_json: bool, date_order: str | None, same_tax_id: RuleSeverity,
         naming: RuleSeverity) -> None:
    """Validate the files of INBOX and load them into the warehouse."""
    from ledgerflow.pipeline import IngestOptions, load_inbox
    from ledgerflow.progress import terminal_progress
    from ledgerflow.rules.hierarchy import HierarchySettings
    from ledgerflow.validate.table import ValueSettings

    options = IngestOptions(partial=partial, replace=frozenset(replace),
                            values=ValueSettings(date_order=date_order),
                            hierarchy=HierarchySettings(same_tax_id, naming))

    def action() -> int:
        report = load_inbox(inbox, warehouse, options, terminal_progress)
        from ledgerflow.render.paths import REJECTS

        # the default workbook too is removed when nothing was refused: an earlier run's
        return _report(report, as_json, rejects or warehouse.with_name(REJECTS),
                       verb="loaded")

    _run(action)


@main.command("loads")
@warehouse_option()
@json_option
def loads_command(warehouse: Path, as_json: bool) -> None:
    """The load history: every file loaded, refused, replaced or unloaded, oldest first."""
    def action() -> int:
        from ledgerflow import terminal
        from ledgerflow.load.warehouse import load_history, read_warehouse

        with read_warehouse(warehouse) as connection:
            history = load_history(connection)
        if as_json:
            click.echo(json.dumps([r.as_dict() for r in history], ensure_ascii=False, indent=2))
        else:
            terminal.loads_table(history)
        return 0

    _run(action)


@main.command()
@click.argument("load_id", type=int)
@warehouse_option()
@rule_options
def unload(load_id: int, warehouse: Path, same_tax_id: RuleSeverity, naming: RuleSeverity) -> None:
    """Remove the rows of load LOAD_ID from the warehouse, in one transaction.

    Refused, with the reason, when the warehouse would be left inconsistent without them
    (a payment naming a client that load brought, ...). The file can be dropped again later."""
    def action() -> int:
        from ledgerflow.load.invariants import InvariantBroken
        from ledgerflow.load.loader import unload as unload_load
        from ledgerflow.load.warehouse import connect
        from ledgerflow.rules.hierarchy import HierarchySettings

        if not warehouse.exists():
            raise UsageError(_("There is no warehouse at {path}.").format(path=warehouse))
        connection = connect(warehouse)
        try:
            record = unload_load(connection, load_id, HierarchySettings(same_tax_id, naming))
        except InvariantBroken as broken:
            click.echo(_("Load {load} was not unloaded: the warehouse would be left "
                         "inconsistent without its rows. Nothing was changed.").format(
                load=load_id), err=True)
            for problem in broken.problems:
                click.echo(f"  {problem}", err=True)
            return 1
        finally:
            connection.close()
        click.echo(ngettext(
            "Unloaded load {load} ({file}): {rows} row removed. Drop the file again to load it "
            "anew.", "Unloaded load {load} ({file}): {rows} rows removed. Drop the file again "
            "to load it anew.", record.rows_accepted).format(
            load=record.load_id, file=record.file, rows=record.rows_accepted))
        return 0

    _run(action)


@main.command("sample")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def sample_command(directory: Path) -> None:
    """Write a realistic, deterministic sample inbox to DIRECTORY."""
    def action() -> int:
        from ledgerflow import sample

        written = sample.write_sample_inbox(directory)
        click.echo(ngettext("Wrote {count} file to {folder}", "Wrote {count} files to {folder}",
                            len(written)).format(count=len(written), folder=directory))
        return 0

    _run(action)


@main.command("template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--locale", type=click.Choice(get_args(Locale)), default=None,
              help="Language of the template (its sheets, headers, notes and words) and of "
                   "the messages: ru or en [default: LEDGERFLOW_LOCALE, else ru].")
def template_command(file: Path, locale: str | None) -> None:
    """Write an input template to FILE (.xlsx): a sheet per table kind, a note with each
    column's rule, drop-down lists and one example row, ready to fill in and drop."""
    def action() -> int:
        from ledgerflow.i18n import _, active
        from ledgerflow.workbook_template import write_template

        sheets = write_template(file, locale or active())
        click.echo(_("Wrote the template {file}, sheets {sheets}. Type your rows over the "
                     "example rows, or below them, and drop the workbook into the inbox.")
                   .format(file=file, sheets=", ".join(sheets)))
        return 0

    _run(action)


period_options = [
    click.option("--period", help="A calendar month, like 2026-10 or 10.2026."),
    click.option("--from", "start",
                 help="First day of the period (with --to), like 2026-10-01 or 01.10.2026."),
    click.option("--to", "end",
                 help="Last day of the period, inclusive, like 2026-10-31 or 31.10.2026."),
]
rounding_option = click.option(
    "--rounding", type=click.Choice(get_args(Rounding)), default="half_up",
    show_default=True, help="How each line is rounded at conversion, discount and tax.")


def with_options(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def apply(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function
    return apply


@main.command()
@with_options(period_options)
@warehouse_option()
@rounding_option
@json_option
def balances(period: str | None, start: str | None, end: str | None, warehouse: Path,
             rounding: Rounding, as_json: bool) -> None:
    """One balance per payer for a period: opening, movements, closing, flags and ageing."""
    def action() -> int:
        from ledgerflow import terminal
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.rules.balances import payer_records
        from ledgerflow.rules.consolidate import MoneySettings, consolidate

        chosen = Period.from_options(period, start, end)
        with read_warehouse(warehouse) as connection:
            result = consolidate(connection, chosen, MoneySettings(rounding))
        records = payer_records(result)
        if as_json:
            click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        else:
            terminal.balances_table(records, chosen)
        for problem in result.problems:
            click.echo(str(problem), err=True)
        return 1 if result.problems else 0

    _run(action)


@main.command()
@click.argument("client")
@click.option("--period", help="A calendar month, like 2026-10 (default: the last full month).")
@warehouse_option()
def show(client: str, period: str | None, warehouse: Path) -> None:
    """CLIENT's group as a tree (master, related accounts, link periods) and its balance."""
    def action() -> int:
        from ledgerflow import terminal
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.rules.balances import client_group, payer_records
        from ledgerflow.rules.consolidate import consolidate

        chosen = Period.month(period) if period else Period.previous_month(date.today())
        with read_warehouse(warehouse) as connection:
            group = client_group(connection, client, chosen.end)
            result = consolidate(connection, chosen)
        records = {r["payer"].lower(): r for r in payer_records(result)}
        terminal.group_tree(group, records.get(str(group.master["client_id"]).lower()), chosen)
        return 0

    _run(action)


# --- the auditor's tools (ledgerflow.audit) ----------------------------------------------------


@main.command("trace")
@click.argument("what")
@click.option("--period", help="A calendar month, like 2026-10 (default: the line's month, or "
              "the statement's).")
@warehouse_option()
@click.option("--rounding", type=click.Choice(get_args(Rounding)), default=None,
              help="How lines are rounded (default: half_up, or the statement's manifest's).")
@json_option
def trace_command(what: str, period: str | None, warehouse: Path, rounding: Rounding | None,
                  as_json: bool) -> None:
    """Explain a statement line back to its source cell.

    WHAT is a payment or expense ID, or STATEMENT_FILE:LINE (a statement of a report folder
    and the number of one of its lines). Prints the source file, sheet, row and the cells as
    stored, the load that brought it, the link that made its account's line the payer's, the
    discount, tax and rate rows applied, and each rounding step; exit 1 when nothing matches."""
    def action() -> int:
        from ledgerflow.audit.trace import as_text, parse_target, trace
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.rules.consolidate import MoneySettings

        target = parse_target(what)
        chosen = Period.month(period) if period else None
        with read_warehouse(warehouse) as connection:
            found = trace(connection, target, chosen,
                          MoneySettings(rounding) if rounding else None)
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        else:
            click.echo("\n\n".join("\n".join(as_text(f)) for f in found))
        return 0 if all(f["adds_up"] for f in found) else 1

    _run(action)


@main.command("verify")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@warehouse_option()
@click.option("--inbox", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="The inbox the inputs came from: each file still there is "
              "checked against the load that brought it.")
@json_option
def verify_command(target: Path, warehouse: Path, inbox: Path | None, as_json: bool) -> None:
    """Check a report folder (reports/<period>), or one PDF statement, against the warehouse.

    Every output the manifest lists is rendered again from the warehouse with the recorded
    settings and compared byte for byte; each file is identical, tampered (changed since
    written), stale (the warehouse moved on), missing or unexpected, and each input is checked
    against its load. Exit 0 only when everything is identical, else 1."""
    def action() -> int:
        from ledgerflow.audit.verify import as_text, verify_folder, verify_pdf
        from ledgerflow.load.warehouse import read_warehouse

        with read_warehouse(warehouse) as connection:
            result = verify_folder(connection, target, inbox) if target.is_dir() \
                else verify_pdf(connection, target)
        if as_json:
            click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo("\n".join(as_text(result)))
        return 0 if result.ok else 1

    _run(action)


@main.command("diff")
@click.argument("before")
@click.argument("after")
@warehouse_option(N_("The DuckDB warehouse file (for a period given as 2026-10)."))
@click.option("--reports", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True,
              help="The reports folder where runs given by their id are looked for.")
@json_option
def diff_command(before: str, after: str, warehouse: Path, reports: Path,
                 as_json: bool) -> None:
    """What changed from BEFORE to AFTER, per payer: lines added, removed and changed, with
    their sources, and the balance moved.

    Each of BEFORE and AFTER is a report folder (its last run), a run id (from a manifest,
    kept in REPORTS/<period>/.runs) or a period like 2026-10 (the warehouse now). Exit 0 when
    nothing changed, 1 when something did."""
    def action() -> int:
        from ledgerflow.audit.diff import as_text, compare
        from ledgerflow.audit.runs import resolve

        a, b = resolve(before, warehouse, reports), resolve(after, warehouse, reports)
        diffs = compare(a, b)
        if as_json:
            click.echo(json.dumps({"before": a.name, "after": b.name,
                                   "payers": [d.as_dict() for d in diffs]},
                                  ensure_ascii=False, indent=2))
        else:
            click.echo("\n".join(as_text(diffs, a.name, b.name)))
        return 1 if diffs else 0

    _run(action)


@main.command()
@click.argument("pipeline", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period", help="A calendar month, like 2026-10 (default: the pipeline's, "
              "else the previous calendar month).")
def run(pipeline: Path, period: str | None) -> None:
    """Run PIPELINE (a .toml file): validate, load, consolidate and render the statements."""
    def action() -> int:
        from ledgerflow.monthly import run_pipeline
        from ledgerflow.progress import terminal_progress

        config = _pipeline_config(pipeline)
        config = dataclasses.replace(config, locale=statement_locale(config.locale))
        config.check_places()  # before anything is loaded
        result = run_pipeline(config, period, terminal_progress)
        _run_summary(result)
        return result.exit_code

    _run(action)


@main.command()
@click.argument("pipeline", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--poll/--events", default=None,
              help="Look at the inbox every few seconds instead of waiting for change events "
                   "(network shares send none) [default: the pipeline's [watch] poll].")
@click.option("--settle", type=click.FloatRange(min=0, min_open=True, max=3600), default=None,
              metavar="SECONDS", help="Take a file once it has not changed for SECONDS "
              "[default: the pipeline's [watch] settle, else 2].")
def watch(pipeline: Path, poll: bool | None, settle: float | None) -> None:
    """Watch PIPELINE's inbox until stopped: each file dropped or changed there is validated and
    loaded once it has settled and is closed, a feedback file for it written to the feedback
    folder beside the inbox (its rejects workbook, or a note of what was loaded), and the
    statements rendered again when the pipeline's [watch] says render = true.

    SIGTERM or Ctrl-C stops it between two files (exit 0). It logs to stderr."""
    def action() -> int:
        from ledgerflow.watch.service import watch_inbox

        config = _pipeline_config(pipeline)
        config = dataclasses.replace(config, locale=statement_locale(config.locale))
        return watch_inbox(config, poll=poll, settle=settle)

    _run(action)


@main.command()
@with_options(period_options)
@warehouse_option()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="The reports folder; statements go to OUT/<period>/.")
@click.option("--locale", type=click.Choice(get_args(Locale)), default=None,
              help="Language and number/date formats of the statements, and of the messages "
                   "[default: the --pipeline file's locale, else ru].")
@click.option("--templates", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="A folder whose templates override the built-in ones.")
@rounding_option
@click.option("--outputs", default=",".join(DEFAULT_OUTPUTS), show_default=True,
              help="The statement formats, separated by commas: html, xlsx, pdf.")
@click.option("--pdf-engine", type=click.Choice(get_args(PdfEngine)), default="weasyprint",
              show_default=True, help="What prints the PDF statements.")
def report(period: str | None, start: str | None, end: str | None, warehouse: Path, out: Path,
           locale: str | None, templates: Path | None, rounding: Rounding, outputs: str,
           pdf_engine: str) -> None:
    """Render the statements, index and manifest of a period from the warehouse alone."""
    def action() -> int:
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.monthly import ReportOptions, render_reports
        from ledgerflow.progress import terminal_progress
        from ledgerflow.rules.consolidate import MoneySettings

        chosen = Period.from_options(period, start, end)
        formats = tuple(dict.fromkeys(o.strip().lower() for o in outputs.split(",")
                                      if o.strip()))
        unknown = [o for o in formats if o not in OUTPUTS]
        if unknown or not formats:
            raise UsageError(_("--outputs lists formats among {formats}, not {given}.").format(
                formats=", ".join(OUTPUTS), given=repr(outputs)))
        options = ReportOptions(formats, locale or statement_locale(), templates,
                                MoneySettings(rounding), pdf_engine=pdf_engine)
        with read_warehouse(warehouse) as connection:
            result = render_reports(connection, chosen, out, options, terminal_progress)
        _report_summary(result)
        return 1 if result.problems else 0

    _run(action)



pipeline_argument = click.argument("pipeline", type=click.Path(dir_okay=False, path_type=Path))
mail_options = [
    click.option("--period", help="A calendar month, like 2026-10 (default: the pipeline's, "
                 "else the previous calendar month)."),
    click.option("--deliver", is_flag=True,
                 help="Send the messages over SMTP ([smtp] of the pipeline file). Without it, "
                      "a dry run: they are written to reports/<period>/outbox/ as .eml files."),
    click.option("--resend-uncertain", is_flag=True,
                 help="Send again a message whose sending was interrupted (the server may "
                      "have it), with the same Message-ID."),
    click.option("--force", is_flag=True,
                 help="Send even though the period's statements are drafts (inputs of its "
                      "run were refused)."),
]


@main.command()
@pipeline_argument
@with_options(mail_options)
@click.option("--resend-changed", is_flag=True,
              help="Send again a statement that changed since it was sent (its message says "
                   "it replaces the earlier one).")
def send(pipeline: Path, period: str | None, deliver: bool, resend_uncertain: bool,
         force: bool, resend_changed: bool) -> None:
    """E-mail each payer's statement of the period to the address on its card (PDF attached).

    A dry run unless --deliver: the messages are written to reports/<period>/outbox/. Every
    delivery is recorded in the warehouse (`deliveries`): a statement is never sent twice."""
    def action() -> int:
        from ledgerflow.deliver.send import SendOptions, send_statements
        from ledgerflow.progress import terminal_progress

        config = _pipeline_config(pipeline)
        chosen = config.resolve_period(period, date.today())
        result = send_statements(config, chosen, SendOptions(
            deliver=deliver, resend_changed=resend_changed, resend_uncertain=resend_uncertain,
            force=force), terminal_progress)
        _mail_summary(result, "statement")
        return result.exit_code

    _run(action)


@main.command()
@pipeline_argument
@with_options(mail_options)
def remind(pipeline: Path, period: str | None, deliver: bool, resend_uncertain: bool,
           force: bool) -> None:
    """Remind each overdue payer of its debt, once per reminder level ([[reminders]]).

    A dry run unless --deliver: the notices are written to reports/<period>/outbox/reminders/.
    Each level sent is recorded in the warehouse (`deliveries`) and not sent again for the
    same debt."""
    def action() -> int:
        from ledgerflow.deliver.remind import RemindOptions, remind
        from ledgerflow.progress import terminal_progress

        config = _pipeline_config(pipeline)
        chosen = config.resolve_period(period, date.today())
        result = remind(config, chosen, RemindOptions(
            deliver=deliver, resend_uncertain=resend_uncertain, force=force),
            terminal_progress)
        _mail_summary(result, "reminder")
        return result.exit_code

    _run(action)


def _mail_summary(result: BatchResult, noun: str) -> None:
    from ledgerflow.deliver import batch, record

    label = result.period.label
    reminders = noun == "reminder"
    if not result.delivered:
        click.echo((_("Dry run: {count} reminder messages of {period} written to {outbox} "
                      "(nothing was sent; --deliver sends them):") if reminders else
                    _("Dry run: {count} statement messages of {period} written to {outbox} "
                      "(nothing was sent; --deliver sends them):")).format(
            count=len(result.written), period=label, outbox=result.outbox))
        for message, path in zip(result.planned, result.written, strict=True):
            click.echo(f"  {message.payer} -> {message.to.addr_spec}: {path.name}")
        if result.planned and result.planned[0].sender == batch.PLACEHOLDER_SENDER:
            click.echo("  " + _("(From is {sender}: the pipeline has no [smtp] table yet)").format(
                sender=batch.PLACEHOLDER_SENDER))
    else:
        for outcome in result.outcomes:
            shown = outcome.message.to.addr_spec
            if outcome.outcome == record.SENT:
                note = f" ({outcome.detail})" if outcome.detail else ""
                click.echo("  " + _("sent: {payer} -> {address}{note}").format(
                    payer=outcome.message.payer, address=shown, note=note))
            else:
                click.echo(f"  {outcome.outcome}: {outcome.message.payer} -> {shown}: "
                           f"{outcome.detail}", err=True)
        sent = sum(o.outcome == record.SENT for o in result.outcomes)
        click.echo((_("{sent} of {count} reminder messages of {period} sent.") if reminders else
                    _("{sent} of {count} statement messages of {period} sent.")).format(
            sent=sent, count=len(result.planned), period=label))
        if result.stopped:
            click.echo(_("The batch stopped: {why}. {count} messages were not tried; run the "
                         "command again to send what is missing (nothing is sent twice).").format(
                why=result.stopped, count=len(result.unsent)), err=True)
    reasons = {
        batch.NO_ADDRESS: N_("no e-mail on the card"), batch.BAD_ADDRESS: N_("e-mail not usable"),
        batch.ALREADY_SENT: N_("sent already"),
        batch.CHANGED: N_("changed since sent, not resent"),
        batch.UNCERTAIN: N_("interrupted while sending, not resent"),
        batch.NO_FILE: N_("statement file missing or edited")}
    for reason, text in reasons.items():
        found = [s for s in result.skipped if s.reason == reason]
        if not found:
            continue
        quiet = reason == batch.ALREADY_SENT
        click.echo(f"{_(text)}: {len(found)}", err=not quiet)
        for skipped in found:
            click.echo(f"  {skipped.payer}: {skipped.detail}", err=not quiet)

def _report_summary(result: ReportResult) -> None:
    flags: dict[str, int] = {}
    for statement in result.statements:
        for flag in statement.flags:
            flags[flag] = flags.get(flag, 0) + 1
    click.echo(_("{payers} payers; {rendered} statements rendered, {unchanged} unchanged since "
                 "the last run; {files} files ({changed} changed) in {folder}").format(
        payers=len(result.statements), rendered=result.rendered,
        unchanged=len(result.statements) - result.rendered, files=len(result.written),
        changed=result.changed, folder=result.folder))
    formats = result.formats()
    if formats:
        changed_text = _("{count} {kind} ({changed} changed)")
        click.echo(_("statements: {formats}").format(formats=", ".join(
            changed_text.format(count=count, kind=kind.upper(), changed=changed)
            for kind, (count, changed) in formats.items())))
    if flags:
        click.echo(_("flags: {flags}").format(
            flags=", ".join(f"{k} {v}" for k, v in sorted(flags.items()))))
    _rendered_why(result.reasons)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    click.echo(_("manifest: {path}").format(path=result.manifest))


def _rendered_why(reasons: dict[str, list[str]], shown: int = 20) -> None:
    """The statements rendered this time and why (what changed since the previous run), those
    with the same reasons together."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for payer, said in reasons.items():
        grouped.setdefault(tuple(said), []).append(payer)
    ordered = sorted(grouped.items(), key=lambda group: (-len(group[1]), group[0]))
    for why, payers in ordered[:shown]:
        names = ", ".join(sorted(payers)[:shown])
        more = _(" and {count} more").format(count=len(payers) - shown) \
            if len(payers) > shown else ""
        click.echo(_("rendered {names}{more}: {why}").format(names=names, more=more,
                                                             why="; ".join(why)))
    rest = sum(len(payers) for _why, payers in ordered[shown:])
    if rest:
        click.echo(_("rendered {count} more statements for other reasons (ledgerflow diff tells "
                     "what changed)").format(count=rest))


def _run_summary(result: RunResult) -> None:
    from ledgerflow.outcomes import files_with_status, status_word
    from ledgerflow.pipeline import NOTHING_NEW

    outcomes = result.ingest.outcomes
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    click.echo(", ".join(files_with_status(k, v) for k, v in sorted(counts.items())))
    for outcome in outcomes:
        if outcome.status in ("refused", "partial"):
            click.echo("  " + ngettext("{file}: {status}, {count} row refused",
                                       "{file}: {status}, {count} rows refused",
                                       outcome.refused_rows).format(
                file=outcome.file.name, status=status_word(outcome.status),
                count=outcome.refused_rows), err=True)
    if result.rejects is not None:
        click.echo(_("Refused rows and every problem: {path}").format(path=result.rejects),
                   err=True)
    if result.report.stopped:
        click.echo(_("No statement was written: inputs were refused and the pipeline says "
                     'on_refused = "stop".'), err=True)
    else:
        _report_summary(result.report)
        drafts = sum(bool(s.draft) for s in result.report.statements)
        if drafts:
            click.echo(ngettext("{count} statement is a draft: inputs it rests on were refused.",
                                "{count} statements are drafts: inputs they rest on were "
                                "refused.", drafts).format(count=drafts), err=True)
    if result.exit_code == NOTHING_NEW:
        click.echo((_("Warning: the inbox is empty; were the month's files dropped in {inbox}?")
                    if result.ingest.empty else
                    _("Warning: no new file arrived and nothing is loaded for {period}; were the "
                      "month's files dropped in {inbox}?")).format(
            period=result.report.period.label, inbox=result.ingest.inbox), err=True)


def _report(report: IngestReport, as_json: bool, rejects: Path | None, verb: str) -> int:
    from ledgerflow.rejects import write_rejects

    rejects_path = None
    if rejects is not None and report.refused_anything:
        tables = [t for o in report.outcomes for t in o.tables]
        rejects_path = write_rejects(rejects, tables, report.problems(), report)
    elif rejects is not None and rejects.is_file():
        rejects.unlink()  # an earlier run's: never to be taken for this run's
        if not as_json:
            click.echo(_("Nothing was refused: the earlier rejects workbook {path} was "
                         "removed.").format(path=rejects))
    if as_json:
        click.echo(json.dumps(_as_json(report, rejects_path), ensure_ascii=False, indent=2))
    else:
        _print_summary(report, rejects_path, verb)
    return report.exit_code


def _as_json(report: IngestReport, rejects: Path | None) -> dict[str, Any]:
    return {
        "files": [{
            "file": o.file.name, "sha256": o.file.sha256, "status": o.status,
            "load_id": o.load_id, "rows": o.rows, "accepted": o.accepted_rows,
            "refused": o.refused_rows, "skipped": o.skipped_rows, "note": o.note,
            "tables": [{"sheet": t.raw.sheet, "kind": t.kind.name, "rows": len(t.data),
                        "refused": len(t.error_rows), "skipped": len(t.skipped)}
                       for t in o.tables],
        } for o in report.outcomes],
        "problems": [p.as_dict() for p in report.problems()],
        "rejects": str(rejects) if rejects else None,
        "exit_code": report.exit_code,
    }


def _outcome_line(outcome: FileOutcome, verb: str) -> str:
    """One file's verdict in words that agree with its problems: a refused file says that none
    of its rows is loaded, and how many of them have errors. `verb`: "would load" (validate)
    or "loaded"."""
    from ledgerflow.outcomes import status_word

    name, rows = outcome.file.name, outcome.rows
    checking = verb == "would load"
    status = status_word(outcome.status)
    if outcome.status == "refused":
        if outcome.tables:
            line = (ngettext("{name}: refused; none of its {rows} row would load, {errors} with "
                             "errors", "{name}: refused; none of its {rows} rows would load, "
                             "{errors} with errors", rows) if checking else
                    ngettext("{name}: refused; none of its {rows} row loaded, {errors} with "
                             "errors", "{name}: refused; none of its {rows} rows loaded, "
                             "{errors} with errors", rows)).format(
                name=name, rows=rows, errors=outcome.refused_rows)
        else:
            line = (_("{name}: refused; nothing of it would load (see its errors)") if checking
                    else _("{name}: refused; nothing of it loaded (see its errors)")).format(
                name=name)
    elif outcome.status in ("skipped", "nothing"):
        line = f"{name}: {status}"
    else:
        line = (_("{name}: {status}; {accepted} would load") if checking else
                _("{name}: {status}; {accepted} loaded")).format(
            name=name, status=status, accepted=outcome.accepted_rows)
        if outcome.refused_rows:
            line += _(", {count} refused").format(count=outcome.refused_rows)
        if outcome.skipped_rows:
            line += _(", {count} already loaded").format(count=outcome.skipped_rows)
    return f"{line} ({outcome.note})" if outcome.note else line


def _print_summary(report: IngestReport, rejects: Path | None, verb: str) -> None:
    from ledgerflow.pipeline import NOTHING_NEW

    for outcome in report.outcomes:
        click.echo(_outcome_line(outcome, verb))
    problems = report.problems()
    if problems:
        click.echo("")
        for problem in problems:
            click.echo(str(problem), err=problem.severity == "error")
    if rejects is not None:
        click.echo("\n" + _("Refused rows and all problems: {path}").format(path=rejects))
    errors = sum(p.severity == "error" for p in problems)
    files = len(report.outcomes)
    click.echo("\n" + _("{files}, {errors}.").format(
        files=ngettext("{count} file", "{count} files", files).format(count=files),
        errors=ngettext("{count} error", "{count} errors", errors).format(count=errors)))
    if report.empty:
        click.echo(_("Warning: the inbox {inbox} holds no file (exit code {code}).").format(
            inbox=report.inbox, code=NOTHING_NEW), err=True)
