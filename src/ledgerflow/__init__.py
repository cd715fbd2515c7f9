"""ledgerflow: accountants' workbooks in, consolidated and verifiable client statements out."""

__version__ = "0.1.0"

import logging as _logging

# fastexcel logs a warning whenever a column mixes types; ledgerflow reads such columns as text
# on purpose and reports every unreadable cell itself, so the warning is noise for the user.
_logging.getLogger("fastexcel").setLevel(_logging.ERROR)
