"""The validate stage of ledgerflow."""
