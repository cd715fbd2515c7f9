"""Statements that reach their readers: e-mail delivery, reminders and the block list.

- `send` (`ledgerflow send`): each payer's statement e-mailed to the address on its card, the
  PDF (and the Excel, if the pipeline says so) attached; a dry run by default (`.eml` files in
  `reports/<period>/outbox/`), delivered over SMTP with `--deliver`;
- `remind` (`ledgerflow remind`): one notice per overdue payer at its reminder level, with the
  overdue lines of the ageing;
- `record`: the warehouse's `deliveries` table, so nothing is sent twice and an interrupted
  batch resumes where it stopped;
- `message`: the messages themselves (`email.message.EmailMessage`, text from the inputs
  inert in headers and bodies), from jinja templates in the locale;
- `smtp`: the connection to the mail server (`[smtp]` of the pipeline file);
- `blocklist`: `reports/<period>/to_block.xlsx` and `.csv`, written by every run: the accounts
  whose debt has passed the payer's `block_after_days`.
"""
