"""The watched inbox (`ledgerflow watch PIPELINE`): files are taken as they arrive.

A file dropped in the inbox, or changed there, is taken once it has stopped changing (its size
and modification time the same for the settle interval) and no Office lock file is beside it
(`settle.py`); a copy of it is validated and loaded at once, replacing the earlier load of a
file of the same name, and a feedback file for it is written to the feedback folder beside the
inbox (`action.py`, `feedback.py`). The period's statements are rendered again when the pipeline
says so (`[watch] render = true`). Changes are seen through watchdog, or by polling the folder
for network shares (`observer.py`), and the whole folder is looked at again every minute for what
an event may have missed; the loop, its signals and its log are in `service.py`, the `[watch]`
settings in `settings.py`.

This module imports nothing: the pipeline file's schema imports `settings.py` alone.
"""
