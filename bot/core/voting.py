"""Pure tally functions for polls: ballots in, results out, no I/O.

Everything here is deterministic: the same method, options and multiset of
ballots always give the same result, whatever order the ballots come in. The
poll service validates ballots when members vote, the renderer displays the
result dataclasses, and the ``recount`` command reproduces a result from an
exported file (:func:`poll_to_json` / :func:`poll_from_json`).

Options are identified by their keys (non-empty strings). The order of the
``options`` sequence is the poll's option order; it is used for display inside
tied groups and as the last tie-break where a method needs one.

Ballot shapes (plain values, so that they store and serialise easily):

===================== ===================================================
method                ballot
===================== ===================================================
``single``            one option key, or ``None`` for a blank ballot
``approval``          a set of option keys; the empty set is a blank ballot
``schulze``, ``irv``  a ranking: a sequence of *groups*, best first; each
                      group is a tuple of option keys ranked equal. Options
                      left out rank below every ranked option. The empty
                      ranking is a blank ballot.
``majority_judgment`` a mapping option key -> :class:`Grade`; an option left
                      ungraded counts as ``a_rejeter``. The empty mapping is a
                      blank ballot (it still rejects every option).
===================== ===================================================

:func:`validate` accepts looser input (any iterable for approvals, a bare key
in place of a one-option group, grade strings) and returns the normal form:
``str | None``, ``frozenset[str]``, ``tuple[tuple[str, ...], ...]`` with each
group in option order, and ``dict[str, Grade]`` in option order.

Instant-runoff needs strict rankings: a group of several options is rejected
for ``irv`` (reason ``tied``).

Tie-breaking rules:

* single, approval: options with equal totals stay tied.
* Schulze: options that neither beat the other through strongest paths stay
  tied (groups are the successive sets of unbeaten options).
* instant-runoff: in each round the option with the fewest votes is
  eliminated; among several with the fewest, the one with fewer votes in the
  previous round is eliminated, then the round before that, and so on back to
  the first round; if they are still equal, the option that comes last in the
  poll's option order is eliminated. When every continuing option has the same
  number of votes and none has a majority (for instance when all continuing
  ballots are exhausted), no one is eliminated: those options tie for first.
* majority judgment: the majority grade is the lower median (with an even
  number of voters, the worse of the two middle grades, as Balinski and Laraki
  define it). Options with the same majority grade are compared by removing
  one majority grade from each of their profiles and taking the majority grade
  of what is left, again and again, until they differ (Balinski and Laraki's
  *majority value*); options with identical grade profiles stay tied.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any, Generic, TypeAlias, TypeVar

__all__ = [
    "GRADES",
    "ApprovalBallot",
    "ApprovalResult",
    "Ballot",
    "BallotError",
    "Grade",
    "GradeBallot",
    "IrvResult",
    "IrvRound",
    "IrvScore",
    "MajorityJudgmentResult",
    "Method",
    "MjScore",
    "MjTiebreak",
    "PollRecord",
    "RankedBallot",
    "Reason",
    "SchulzeResult",
    "SchulzeScore",
    "SingleBallot",
    "SingleResult",
    "TallyResult",
    "TieBreak",
    "ballot_from_json",
    "ballot_to_json",
    "check_options",
    "is_ranked",
    "majority_value",
    "poll_from_json",
    "poll_to_json",
    "tally",
    "tally_approval",
    "tally_irv",
    "tally_majority_judgment",
    "tally_schulze",
    "tally_single",
    "validate",
]


class Method(StrEnum):
    SINGLE = "single"
    APPROVAL = "approval"
    SCHULZE = "schulze"
    IRV = "irv"
    MAJORITY_JUDGMENT = "majority_judgment"


def is_ranked(method: Method | str) -> bool:
    """Whether the method's ballots are rankings (Schulze, instant-runoff)."""
    return Method(method) in (Method.SCHULZE, Method.IRV)


class Grade(StrEnum):
    """Majority-judgment grades, best first (Excellent ... À rejeter)."""

    EXCELLENT = "excellent"
    TRES_BIEN = "tres_bien"
    BIEN = "bien"
    ASSEZ_BIEN = "assez_bien"
    PASSABLE = "passable"
    INSUFFISANT = "insuffisant"
    A_REJETER = "a_rejeter"


GRADES: tuple[Grade, ...] = tuple(Grade)
"""All grades, best first."""

_GRADE_RANK: dict[Grade, int] = {grade: i for i, grade in enumerate(GRADES)}
_WORST = len(GRADES) - 1

SingleBallot: TypeAlias = str | None
ApprovalBallot: TypeAlias = frozenset[str]
RankedBallot: TypeAlias = tuple[tuple[str, ...], ...]
GradeBallot: TypeAlias = Mapping[str, Grade]
Ballot: TypeAlias = SingleBallot | ApprovalBallot | RankedBallot | GradeBallot


# --------------------------------------------------------------------------- errors


class Reason(StrEnum):
    """Why a ballot is invalid; the service maps each reason to a message."""

    MALFORMED = "malformed"  # wrong shape or type (value: the offending part)
    UNKNOWN_OPTION = "unknown_option"  # value: the key
    REPEATED_OPTION = "repeated_option"  # value: the key
    EMPTY = "empty"  # blank ballot where not allowed, or an empty ranking group
    TOO_MANY = "too_many"  # value: how many were chosen; ``limit``: the maximum
    TIED = "tied"  # several options in one group of an instant-runoff ranking
    BAD_GRADE = "bad_grade"  # value: the grade given


class BallotError(ValueError):
    """An invalid ballot: ``reason`` says why, ``value`` is the offending value.

    ``limit`` is set for ``too_many``; ``position`` is the ballot's index in the
    list being tallied or loaded, when there is one.
    """

    def __init__(
        self,
        reason: Reason,
        value: object = None,
        *,
        limit: int | None = None,
        position: int | None = None,
    ) -> None:
        self.reason = reason
        self.value = value
        self.limit = limit
        self.position = position
        text = f"{reason.value}: {value!r}"
        if limit is not None:
            text += f" (limit {limit})"
        if position is not None:
            text = f"ballot {position}: {text}"
        super().__init__(text)


# ----------------------------------------------------------------------- validation


def check_options(options: Sequence[str]) -> tuple[str, ...]:
    """Return the options as a tuple; raise ``ValueError`` unless they are a
    non-empty sequence of distinct non-empty strings."""
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise ValueError("options must be a sequence of option keys")
    if not options:
        raise ValueError("a poll needs at least one option")
    seen: set[str] = set()
    for key in options:
        if not isinstance(key, str) or not key:
            raise ValueError(f"option keys must be non-empty strings, not {key!r}")
        if key in seen:
            raise ValueError(f"option {key!r} is listed twice")
        seen.add(key)
    return tuple(options)


def validate(
    method: Method | str,
    options: Sequence[str],
    ballot: object,
    *,
    max_choices: int | None = None,
    allow_blank: bool = True,
) -> Ballot:
    """Check ``ballot`` for ``method`` over ``options`` and return its normal form.

    ``max_choices`` limits how many options an approval ballot approves or a
    ranking ranks (ignored for the other methods). With ``allow_blank=False`` a
    blank ballot raises ``empty``. Raises :class:`BallotError`.
    """
    method = Method(method)
    opts = check_options(options)
    index = {key: i for i, key in enumerate(opts)}
    return _normalise(method, index, ballot, max_choices, allow_blank)


def _normalise(
    method: Method,
    index: Mapping[str, int],
    ballot: object,
    max_choices: int | None,
    allow_blank: bool,
) -> Ballot:
    if method is Method.SINGLE:
        return _single(index, ballot, allow_blank)
    if method is Method.APPROVAL:
        return _approval(index, ballot, max_choices, allow_blank)
    if method is Method.MAJORITY_JUDGMENT:
        return _grades(index, ballot, allow_blank)
    return _ranking(index, ballot, max_choices, allow_blank, strict=method is Method.IRV)


def _key(index: Mapping[str, int], key: object, seen: set[str] | None = None) -> str:
    if not isinstance(key, str):
        raise BallotError(Reason.MALFORMED, key)
    if key not in index:
        raise BallotError(Reason.UNKNOWN_OPTION, key)
    if seen is not None:
        if key in seen:
            raise BallotError(Reason.REPEATED_OPTION, key)
        seen.add(key)
    return key


def _is_collection(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


def _single(index: Mapping[str, int], ballot: object, allow_blank: bool) -> SingleBallot:
    if ballot is None:
        if not allow_blank:
            raise BallotError(Reason.EMPTY, ballot)
        return None
    return _key(index, ballot)


def _approval(
    index: Mapping[str, int], ballot: object, max_choices: int | None, allow_blank: bool
) -> ApprovalBallot:
    if not _is_collection(ballot):
        raise BallotError(Reason.MALFORMED, ballot)
    seen: set[str] = set()
    for key in ballot:  # type: ignore[attr-defined]
        _key(index, key, seen)
    if not seen and not allow_blank:
        raise BallotError(Reason.EMPTY, ballot)
    if max_choices is not None and len(seen) > max_choices:
        raise BallotError(Reason.TOO_MANY, len(seen), limit=max_choices)
    return frozenset(seen)


def _ranking(
    index: Mapping[str, int],
    ballot: object,
    max_choices: int | None,
    allow_blank: bool,
    *,
    strict: bool,
) -> RankedBallot:
    if isinstance(ballot, str | bytes) or not isinstance(ballot, Sequence):
        raise BallotError(Reason.MALFORMED, ballot)
    seen: set[str] = set()
    groups: list[tuple[str, ...]] = []
    for position, group in enumerate(ballot, start=1):
        members = (group,) if isinstance(group, str) else group
        if not _is_collection(members):
            raise BallotError(Reason.MALFORMED, group)
        keys = [_key(index, key, seen) for key in members]
        if not keys:
            raise BallotError(Reason.EMPTY, position)
        if strict and len(keys) > 1:
            raise BallotError(Reason.TIED, tuple(sorted(keys, key=index.__getitem__)))
        groups.append(tuple(sorted(keys, key=index.__getitem__)))
    if not groups and not allow_blank:
        raise BallotError(Reason.EMPTY, ballot)
    if max_choices is not None and len(seen) > max_choices:
        raise BallotError(Reason.TOO_MANY, len(seen), limit=max_choices)
    return tuple(groups)


def _grades(index: Mapping[str, int], ballot: object, allow_blank: bool) -> dict[str, Grade]:
    if not isinstance(ballot, Mapping):
        raise BallotError(Reason.MALFORMED, ballot)
    graded: dict[str, Grade] = {}
    for key, grade in ballot.items():
        _key(index, key)
        if not isinstance(grade, str):
            raise BallotError(Reason.BAD_GRADE, grade)
        try:
            graded[key] = Grade(grade)
        except ValueError:
            raise BallotError(Reason.BAD_GRADE, grade) from None
    if not graded and not allow_blank:
        raise BallotError(Reason.EMPTY, ballot)
    return {key: graded[key] for key in sorted(graded, key=index.__getitem__)}


def _prepare(
    method: Method, options: Sequence[str], ballots: Iterable[object]
) -> tuple[tuple[str, ...], list[Any]]:
    opts = check_options(options)
    index = {key: i for i, key in enumerate(opts)}
    normal: list[Any] = []
    for position, ballot in enumerate(ballots):
        try:
            normal.append(_normalise(method, index, ballot, None, True))
        except BallotError as error:
            error.position = position
            error.args = (f"ballot {position}: {error.args[0]}",)
            raise
    return opts, normal


# -------------------------------------------------------------------------- results

S = TypeVar("S")
Ranking: TypeAlias = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TallyResult(Generic[S]):
    """What every tally returns.

    ``ranking`` lists groups of option keys, best first; options in one group
    are tied (listed in option order). ``winners`` is the first group.
    ``scores`` holds the per-option figures of the method. ``ballots`` counts
    every ballot, blank ones included; ``blank`` counts the blank ballots.
    """

    method: Method
    options: tuple[str, ...]
    ranking: Ranking
    winners: tuple[str, ...]
    scores: Mapping[str, S]
    ballots: int
    blank: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SingleResult(TallyResult[int]):
    """Plurality: ``scores`` is the number of votes per option."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalResult(TallyResult[int]):
    """Approval: ``scores`` is the number of approvals per option."""


@dataclass(frozen=True, slots=True)
class SchulzeScore:
    """``wins``: how many options this one beats through strongest paths;
    ``strengths``: the strength of its strongest path to each other option."""

    wins: int
    strengths: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class SchulzeResult(TallyResult[SchulzeScore]):
    """Schulze: ``d[a][b]`` is the number of voters who rank ``a`` above ``b``;
    ``p[a][b]`` the strength of the strongest path from ``a`` to ``b``. ``a``
    beats ``b`` when ``p[a][b] > p[b][a]``. ``condorcet_winner`` is the option
    that wins every pairwise contest in ``d``, if there is one."""

    d: Mapping[str, Mapping[str, int]]
    p: Mapping[str, Mapping[str, int]]
    condorcet_winner: str | None


class TieBreak(StrEnum):
    """How an instant-runoff elimination between equal options was decided."""

    PREVIOUS_ROUNDS = "previous_rounds"
    OPTION_ORDER = "option_order"


@dataclass(frozen=True, slots=True)
class IrvRound:
    """One instant-runoff round.

    ``counts``: votes of each continuing option; ``continuing``: ballots that
    still rank a continuing option (a majority is more than half of them);
    ``exhausted``: the other ballots. ``eliminated`` is the option eliminated
    at the end of the round (``None`` in the last round), and ``tie_break``
    says how it was chosen among options with equally few votes.
    """

    number: int
    counts: Mapping[str, int]
    continuing: int
    exhausted: int
    eliminated: str | None
    tie_break: TieBreak | None = None


@dataclass(frozen=True, slots=True)
class IrvScore:
    """``votes``: the option's votes in each round while it was continuing;
    ``eliminated_in``: the round at the end of which it was eliminated."""

    votes: tuple[int, ...]
    eliminated_in: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IrvResult(TallyResult[IrvScore]):
    """Instant-runoff: ``rounds`` in order, the last one decides.

    Ranking: the winner, then the other options of the last round by their
    votes in it (or, after an exact tie, all options of the last round as one
    group), then eliminated options, last eliminated first.
    """

    rounds: tuple[IrvRound, ...]


@dataclass(frozen=True, slots=True)
class MjScore:
    """``grades``: how many voters gave each grade (every grade, best first);
    ``majority_grade``: the lower median grade (``None`` without ballots);
    ``majority_value``: the successive majority grades obtained by removing one
    majority grade at a time, the sequence that orders options."""

    grades: Mapping[Grade, int]
    majority_grade: Grade | None
    majority_value: tuple[Grade, ...]


@dataclass(frozen=True, slots=True)
class MjTiebreak:
    """Two consecutive groups of the ranking with the same majority grade:
    after removing ``removed`` majority grades from each, ``ahead`` gets
    ``grade_ahead`` and ``behind`` gets the worse ``grade_behind``."""

    ahead: tuple[str, ...]
    behind: tuple[str, ...]
    removed: int
    grade_ahead: Grade
    grade_behind: Grade


@dataclass(frozen=True, slots=True, kw_only=True)
class MajorityJudgmentResult(TallyResult[MjScore]):
    """Majority judgment: ``tiebreaks`` explains each place in the ranking
    that was decided beyond the majority grade."""

    tiebreaks: tuple[MjTiebreak, ...]


# --------------------------------------------------------------------------- tallies


def _rank_by(options: Sequence[str], key: Callable[[str], Any]) -> Ranking:
    """Group options by ``key`` (smaller is better), keeping option order in groups."""
    groups: list[list[str]] = []
    last: object = None
    for option in sorted(options, key=key):
        value = key(option)
        if groups and value == last:
            groups[-1].append(option)
        else:
            groups.append([option])
        last = value
    return tuple(tuple(group) for group in groups)


def tally_single(options: Sequence[str], ballots: Iterable[object]) -> SingleResult:
    """Plurality: one vote per ballot, most votes first."""
    opts, normal = _prepare(Method.SINGLE, options, ballots)
    counted = Counter(normal)
    votes = {key: counted[key] for key in opts}
    ranking = _rank_by(opts, lambda key: -votes[key])
    return SingleResult(
        method=Method.SINGLE, options=opts, ranking=ranking, winners=ranking[0],
        scores=votes, ballots=len(normal), blank=counted[None],
    )


def tally_approval(options: Sequence[str], ballots: Iterable[object]) -> ApprovalResult:
    """Approval: each ballot approves any number of options, most approvals first."""
    opts, normal = _prepare(Method.APPROVAL, options, ballots)
    approvals = dict.fromkeys(opts, 0)
    for ballot in normal:
        for key in ballot:
            approvals[key] += 1
    ranking = _rank_by(opts, lambda key: -approvals[key])
    return ApprovalResult(
        method=Method.APPROVAL, options=opts, ranking=ranking, winners=ranking[0],
        scores=approvals, ballots=len(normal), blank=sum(1 for b in normal if not b),
    )


def _positions(opts: Sequence[str], ranking: RankedBallot) -> dict[str, int]:
    """Each option's group index in a ranking; unranked options share the last."""
    position = dict.fromkeys(opts, len(ranking))
    for i, group in enumerate(ranking):
        for key in group:
            position[key] = i
    return position


def tally_schulze(options: Sequence[str], ballots: Iterable[object]) -> SchulzeResult:
    """The Schulze method.

    ``d[a][b]`` counts voters ranking ``a`` strictly above ``b``. A link
    ``a -> b`` has strength ``d[a][b]`` when ``d[a][b] > d[b][a]`` and 0
    otherwise; ``p[a][b]`` is the strength of the widest path (the path whose
    weakest link is strongest), computed Floyd–Warshall style. The ranking is
    built by taking the options beaten by no remaining option, again and again.
    """
    opts, normal = _prepare(Method.SCHULZE, options, ballots)
    d = {a: {b: 0 for b in opts if b != a} for a in opts}
    for ranking, weight in Counter(normal).items():
        if not ranking:
            continue
        position = _positions(opts, ranking)
        for a in opts:
            for b in opts:
                if position[a] < position[b]:
                    d[a][b] += weight

    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in opts if b != a} for a in opts}
    for i in opts:
        for j in opts:
            if j == i:
                continue
            for k in opts:
                if k != i and k != j:
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))

    def beats(a: str, b: str) -> bool:
        return p[a][b] > p[b][a]

    groups: list[tuple[str, ...]] = []
    remaining = list(opts)
    while remaining:
        # The strongest-path relation is a strict partial order, so some
        # remaining option is always unbeaten.
        top = tuple(a for a in remaining if not any(beats(b, a) for b in remaining if b != a))
        groups.append(top)
        remaining = [a for a in remaining if a not in top]

    condorcet = [a for a in opts if all(d[a][b] > d[b][a] for b in opts if b != a)]
    scores = {
        a: SchulzeScore(wins=sum(beats(a, b) for b in opts if b != a), strengths=p[a])
        for a in opts
    }
    return SchulzeResult(
        method=Method.SCHULZE, options=opts, ranking=tuple(groups), winners=groups[0],
        scores=scores, ballots=len(normal), blank=sum(1 for b in normal if not b),
        d=d, p=p, condorcet_winner=condorcet[0] if condorcet else None,
    )


def tally_irv(options: Sequence[str], ballots: Iterable[object]) -> IrvResult:
    """Instant-runoff voting (strict rankings).

    Each round, every ballot counts for its highest-ranked continuing option;
    a ballot ranking none of them is exhausted. An option with more than half
    of the continuing ballots wins. Otherwise the option with the fewest votes
    is eliminated (tie-break in the module docstring) and a new round starts.
    """
    opts, normal = _prepare(Method.IRV, options, ballots)
    orders = Counter(tuple(group[0] for group in ranking) for ranking in normal)
    total = len(normal)
    continuing = list(opts)
    history: dict[str, list[int]] = {key: [] for key in opts}
    rounds: list[IrvRound] = []
    winner: str | None = None
    while True:
        alive = set(continuing)
        counts = dict.fromkeys(continuing, 0)
        exhausted = 0
        for order, weight in orders.items():
            top = next((key for key in order if key in alive), None)
            if top is None:
                exhausted += weight
            else:
                counts[top] += weight
        active = total - exhausted
        for key in continuing:
            history[key].append(counts[key])
        number = len(rounds) + 1
        best = max(counts.values())
        if 2 * best > active:
            winner = next(key for key in continuing if counts[key] == best)
        if winner is not None or len(set(counts.values())) == 1:
            rounds.append(IrvRound(number, counts, active, exhausted, None))
            break
        loser, how = _irv_loser(continuing, counts, rounds)
        rounds.append(IrvRound(number, counts, active, exhausted, loser, how))
        continuing.remove(loser)

    final = rounds[-1].counts
    if winner is not None:
        others = [key for key in continuing if key != winner]
        head = ((winner,), *_rank_by(others, lambda key: -final[key]))
    else:
        head = (tuple(continuing),)
    tail = tuple((r.eliminated,) for r in reversed(rounds) if r.eliminated is not None)
    eliminated_in = {r.eliminated: r.number for r in rounds if r.eliminated is not None}
    scores = {
        key: IrvScore(votes=tuple(history[key]), eliminated_in=eliminated_in.get(key))
        for key in opts
    }
    return IrvResult(
        method=Method.IRV, options=opts, ranking=head + tail, winners=head[0],
        scores=scores, ballots=total, blank=sum(1 for b in normal if not b),
        rounds=tuple(rounds),
    )


def _irv_loser(
    continuing: Sequence[str], counts: Mapping[str, int], rounds: Sequence[IrvRound]
) -> tuple[str, TieBreak | None]:
    fewest = min(counts.values())
    candidates = [key for key in continuing if counts[key] == fewest]
    if len(candidates) == 1:
        return candidates[0], None
    for previous in reversed(rounds):
        low = min(previous.counts[key] for key in candidates)
        candidates = [key for key in candidates if previous.counts[key] == low]
        if len(candidates) == 1:
            return candidates[0], TieBreak.PREVIOUS_ROUNDS
    return candidates[-1], TieBreak.OPTION_ORDER


def majority_value(profile: Sequence[int]) -> tuple[int, ...]:
    """The majority value of a grade profile.

    ``profile[g]`` is the number of voters giving grade index ``g`` (0 is the
    best). Returns grade indexes: the lower median, then the lower median of
    what is left once it is removed, and so on until no grade is left.
    """
    grades = [g for g, count in enumerate(profile) for _ in range(count)]  # best first
    left, right = len(grades) // 2, len(grades) // 2  # grades[left:right] are removed
    sequence: list[int] = []
    for remaining in range(len(grades), 0, -1):
        median = remaining // 2  # index of the lower median among what is left
        if median < left:  # always left - 1: the removed block stays contiguous
            sequence.append(grades[median])
            left -= 1
        else:  # always left
            sequence.append(grades[right + median - left])
            right += 1
    return tuple(sequence)


def tally_majority_judgment(
    options: Sequence[str], ballots: Iterable[object]
) -> MajorityJudgmentResult:
    """Majority judgment (Balinski and Laraki) with majority-value tie-breaking."""
    opts, normal = _prepare(Method.MAJORITY_JUDGMENT, options, ballots)
    profiles = {key: [0] * len(GRADES) for key in opts}
    for ballot in normal:
        for key in opts:
            grade = ballot.get(key)
            profiles[key][_WORST if grade is None else _GRADE_RANK[grade]] += 1
    values = {key: majority_value(profiles[key]) for key in opts}
    ranking = _rank_by(opts, values.__getitem__)

    tiebreaks: list[MjTiebreak] = []
    for ahead, behind in pairwise(ranking):
        a, b = values[ahead[0]], values[behind[0]]
        removed = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
        if removed:
            tiebreaks.append(MjTiebreak(ahead, behind, removed, GRADES[a[removed]],
                                        GRADES[b[removed]]))
    scores = {
        key: MjScore(
            grades=dict(zip(GRADES, profiles[key], strict=True)),
            majority_grade=GRADES[values[key][0]] if values[key] else None,
            majority_value=tuple(GRADES[g] for g in values[key]),
        )
        for key in opts
    }
    return MajorityJudgmentResult(
        method=Method.MAJORITY_JUDGMENT, options=opts, ranking=ranking, winners=ranking[0],
        scores=scores, ballots=len(normal), blank=sum(1 for b in normal if not b),
        tiebreaks=tuple(tiebreaks),
    )


_TALLIES: dict[Method, Callable[[Sequence[str], Iterable[object]], TallyResult[Any]]] = {
    Method.SINGLE: tally_single,
    Method.APPROVAL: tally_approval,
    Method.SCHULZE: tally_schulze,
    Method.IRV: tally_irv,
    Method.MAJORITY_JUDGMENT: tally_majority_judgment,
}


def tally(
    method: Method | str, options: Sequence[str], ballots: Iterable[object]
) -> TallyResult[Any]:
    """Tally ``ballots`` with ``method``; every ballot is validated first
    (:class:`BallotError` with ``position`` set on the first invalid one)."""
    return _TALLIES[Method(method)](options, ballots)


# ----------------------------------------------------------------------------- JSON

JsonValue: TypeAlias = str | list[Any] | dict[str, Any] | None


def ballot_to_json(method: Method | str, ballot: Ballot) -> JsonValue:
    """A JSON-ready form of a ballot in normal form: a key or ``null``
    (single), a sorted list of keys (approval), a list of groups, each a list of
    keys (rankings), an object key -> grade string (majority judgment)."""
    method = Method(method)
    if method is Method.SINGLE:
        return ballot  # type: ignore[return-value]
    if method is Method.APPROVAL:
        return sorted(ballot)  # type: ignore[arg-type]
    if method is Method.MAJORITY_JUDGMENT:
        return {key: Grade(grade).value for key, grade in ballot.items()}  # type: ignore[union-attr]
    return [list(group) for group in ballot]  # type: ignore[union-attr]


def ballot_from_json(method: Method | str, data: object, options: Sequence[str]) -> Ballot:
    """Read a ballot written by :func:`ballot_to_json`, validated against
    ``options`` and returned in normal form. Raises :class:`BallotError`."""
    return validate(method, options, data)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What a recount needs: the method, the options and the ballots."""

    method: Method
    options: tuple[str, ...]
    ballots: tuple[Ballot, ...]


def poll_to_json(
    method: Method | str, options: Sequence[str], ballots: Iterable[object]
) -> dict[str, Any]:
    """An exportable document ``{"method", "options", "ballots"}``.

    Ballots are validated and sorted by their JSON text, so the export keeps no
    trace of the order in which they were cast; tallies do not depend on it.
    Callers may add keys of their own (title, dates); :func:`poll_from_json`
    ignores them.
    """
    method = Method(method)
    opts, normal = _prepare(method, options, ballots)
    rows = [ballot_to_json(method, ballot) for ballot in normal]
    rows.sort(key=lambda row: json.dumps(row, sort_keys=True, ensure_ascii=False))
    return {"method": method.value, "options": list(opts), "ballots": rows}


def poll_from_json(data: object) -> PollRecord:
    """Read a document written by :func:`poll_to_json` (already parsed from
    JSON). Raises ``ValueError`` for a bad document and :class:`BallotError`
    (with ``position``) for a bad ballot."""
    if not isinstance(data, Mapping):
        raise ValueError("a poll export must be a JSON object")
    try:
        method = Method(data.get("method"))
    except ValueError:
        raise ValueError(f"unknown voting method {data.get('method')!r}") from None
    options = data.get("options")
    if not isinstance(options, list):
        raise ValueError("a poll export needs a list of options")
    rows = data.get("ballots")
    if not isinstance(rows, list):
        raise ValueError("a poll export needs a list of ballots")
    opts, normal = _prepare(method, options, rows)
    return PollRecord(method, opts, tuple(normal))
