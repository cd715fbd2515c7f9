"""The `[watch]` table of a pipeline file: how `ledgerflow watch` takes the inbox's files.

    [watch]
    render = true            # render the period's statements again after a file is loaded
    settle = 2.0             # seconds a file must stay unchanged before it is taken
    poll = false             # true: look at the folder every poll_interval seconds instead of
    poll_interval = 5.0      # waiting for change events (network shares send none)
    feedback = "../feedback" # where the feedback files go (default: feedback/ beside the inbox)

Light to import: pydantic alone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

MAX_SECONDS = 3600.0


class WatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    render: bool = False
    settle: float = 2.0
    poll: bool = False
    poll_interval: float = 5.0
    feedback: str | None = None  # relative to the pipeline file; None: beside the inbox

    @field_validator("settle", "poll_interval")
    @classmethod
    def _seconds(cls, value: float) -> float:
        if not 0 < value <= MAX_SECONDS:
            raise PydanticCustomError("seconds", "not a number of seconds above 0")
        return value

    @field_validator("feedback")
    @classmethod
    def _a_path(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise PydanticCustomError("empty_path", "the path is empty")
        return value
