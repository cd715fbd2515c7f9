"""The rules stage: the account hierarchy and the consolidation of balances per payer."""
