"""The load stage of ledgerflow."""
