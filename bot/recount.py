"""``python -m bot recount FILE``: recount an exported poll without the bot.

The file is what ``!scrutin export`` gives: a JSON object with ``method``,
``options`` (keys), ``ballots`` (one entry per ballot, no voter identity) and,
for display, ``title`` and ``labels``. The tally functions are the ones the
bot used, so the printed result is the announced one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.core import voting
from bot.core.services.polls import option_figures


def summary(document: dict[str, Any]) -> str:
    record = voting.poll_from_json(document)
    result = voting.tally(record.method, record.options, record.ballots)
    labels = document.get("labels") or {}
    figures = option_figures(result)
    lines = [f"Poll: {document.get('title', '?')}",
             f"Method: {record.method.value}",
             f"Ballots: {result.ballots} (blank: {result.blank})"]
    names = ", ".join(f"{key}. {labels.get(key, key)}" for key in result.winners)
    lines.append(("Winner: " if len(result.winners) == 1 else "Tie between: ") + names
                 if result.ballots else "No ballot.")
    for place, group in enumerate(result.ranking, start=1):
        for key in group:
            lines.append(f"{place}. {key}. {labels.get(key, key)}: {figures[key]}")
    return "\n".join(lines)


def recount(path: Path) -> int:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        print(summary(document))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return 2
    except (ValueError, voting.BallotError) as exc:
        print(f"Not a valid poll export: {exc}", file=sys.stderr)
        return 2
    return 0
