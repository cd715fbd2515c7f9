"""The read stage of ledgerflow."""
