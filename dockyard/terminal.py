"""Text from outside, made safe for a terminal.

An EC2 tag, an S3 key or a job file name may hold escape sequences (`\\x1b]0;...`,
cursor moves, a carriage return that hides the line) and bidirectional overrides. Before
any of it is printed, control and format characters are shown as Python escapes.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """`text` with every control, bidi-override and lone-surrogate character escaped."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)
