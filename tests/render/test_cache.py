"""A statement's render-cache fingerprint covers everything on it, a draft's banner too."""

from __future__ import annotations

import dataclasses

from test_html import make_statement

from ledgerflow.render.cache import fingerprint
from ledgerflow.render.model import Refusal


def test_the_draft_banner_is_part_of_the_fingerprint() -> None:
    complete = make_statement()
    draft = dataclasses.replace(complete, draft=(Refusal("payments.csv", "refused", 1),))
    other = dataclasses.replace(complete, draft=(Refusal("payments.csv", "partial", 1),))
    prints = {fingerprint(s, "context") for s in (complete, draft, other)}
    assert len(prints) == 3
    assert fingerprint(complete, "context") == fingerprint(make_statement(), "context")
