"""The size classes every keyroll screen lays out with, whichever app shows it.

Below 50 rows a screen is `-medium` or `-short`: long dialogs keep their title and buttons in
view and scroll their body. Below 32 rows (80x24 is the classic terminal) it is `-short`:
dialogs drop their padding and the roll screen's panels give way to its log. Below 100
columns it is `-narrow`: the rack screen's summary and parameters share the width.
"""

from __future__ import annotations

VERTICAL: list[tuple[int, str]] = [(0, "-short"), (32, "-medium"), (50, "-tall")]
HORIZONTAL: list[tuple[int, str]] = [(0, "-narrow"), (100, "-wide")]
