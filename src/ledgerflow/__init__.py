"""ledgerflow: accountants' workbooks in, consolidated and verifiable client statements out."""

__version__ = "0.1.0"
