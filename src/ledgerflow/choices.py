"""The choices a user makes in a pipeline file or on the command line, declared once.

Light to import on purpose: the command line's options and `--help` read them without loading
pandas, DuckDB or the renderers.
"""

from __future__ import annotations

from typing import Literal, get_args

# The statement formats a run can write. A pipeline file that names none gets HTML and Excel;
# PDF, which costs more, is written when asked for.
Output = Literal["html", "xlsx", "pdf"]
OUTPUTS: tuple[Output, ...] = get_args(Output)
DEFAULT_OUTPUTS: tuple[Output, ...] = ("html", "xlsx")
PdfEngine = Literal["weasyprint", "chromium"]
Locale = Literal["ru", "en"]
DateOrder = Literal["DMY", "MDY"]  # how to read 04/03/26
OnRefused = Literal["draft", "stop"]  # "draft": statements carry a banner; "stop": none
RuleSeverity = Literal["error", "warning"]  # of the hierarchy rules L5 and L6
Rounding = Literal["half_up", "half_even"]  # of each line, at conversion, discount and tax
