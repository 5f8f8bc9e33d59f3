"""Tally functions: published worked examples, tie-breaking rules, properties."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.voting import (
    GRADES,
    BallotError,
    Grade,
    IrvResult,
    IrvScore,
    MajorityJudgmentResult,
    Method,
    MjTiebreak,
    Reason,
    SchulzeResult,
    TieBreak,
    ballot_from_json,
    ballot_to_json,
    check_options,
    majority_value,
    poll_from_json,
    poll_to_json,
    tally,
    tally_approval,
    tally_irv,
    tally_majority_judgment,
    tally_schulze,
    tally_single,
    validate,
)

PROPERTY = settings(max_examples=150, deadline=None, database=None)
PER_METHOD = settings(PROPERTY, max_examples=60)  # parametrized: run once per method

E, TB, B, AB, P, INS, R = GRADES  # excellent ... a_rejeter


def profile(*counts: tuple[int, str]) -> list[tuple[str, ...]]:
    """Ballots from ``(count, "ACBED")`` rows: a strict ranking of one-letter keys."""
    return [tuple(order) for count, order in counts for _ in range(count)]


def matrix(result: SchulzeResult, which: str, options: str) -> list[list[int | None]]:
    table = result.d if which == "d" else result.p
    return [[None if a == b else table[a][b] for b in options] for a in options]


# ------------------------------------------------------------------ Schulze examples


def test_schulze_45_voter_example() -> None:
    """The 45-voter example used to present the Schulze method (5 candidates)."""
    ballots = profile(
        (5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
        (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC"),
    )
    result = tally(Method.SCHULZE, list("ABCDE"), ballots)
    assert isinstance(result, SchulzeResult)
    # e.g. A over B: 5 + 5 + 3 + 7 = 20 voters; B over A: 8 + 2 + 7 + 8 = 25.
    assert matrix(result, "d", "ABCDE") == [
        [None, 20, 26, 30, 22],
        [25, None, 16, 33, 18],
        [19, 29, None, 17, 24],
        [15, 12, 28, None, 14],
        [23, 27, 21, 31, None],
    ]
    # e.g. p[A][C] = 28 through A-(30)-D-(28)-C, stronger than the direct 26.
    assert matrix(result, "p", "ABCDE") == [
        [None, 28, 28, 30, 24],
        [25, None, 28, 33, 24],
        [25, 29, None, 29, 24],
        [25, 28, 28, None, 24],
        [25, 28, 28, 31, None],
    ]
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))
    assert result.winners == ("E",)
    assert result.condorcet_winner is None  # there is a cycle: A > D > C > B > A ...
    assert {k: s.wins for k, s in result.scores.items()} == {
        "A": 3, "B": 1, "C": 2, "D": 0, "E": 4,
    }
    assert result.scores["E"].strengths == {"A": 25, "B": 28, "C": 28, "D": 31}
    assert (result.ballots, result.blank) == (45, 0)


def test_schulze_21_voter_example() -> None:
    """The 21-voter example of Schulze's article (a, b, c, d): winner d.

    Pairwise: b > a 13:8, a > c 14:7, d > a 11:10, c > b 15:6, d > b 19:2,
    c > d 12:9 — a cycle, resolved by the strongest paths.
    """
    ballots = profile((8, "acdb"), (2, "badc"), (4, "cdba"), (4, "dbac"), (3, "dcba"))
    result = tally_schulze(list("abcd"), ballots)
    assert matrix(result, "d", "abcd") == [
        [None, 8, 14, 10],
        [13, None, 6, 2],
        [7, 15, None, 12],
        [11, 19, 9, None],
    ]
    assert matrix(result, "p", "abcd") == [
        [None, 14, 14, 12],  # a-(14)-c-(15)-b ; a-(14)-c-(12)-d
        [13, None, 13, 12],  # b-(13)-a-(14)-c ; b-(13)-a-(14)-c-(12)-d
        [13, 15, None, 12],  # c-(15)-b-(13)-a
        [13, 19, 13, None],  # d-(19)-b-(13)-a ; d-(19)-b-(13)-a-(14)-c
    ]
    assert result.ranking == (("d",), ("a",), ("c",), ("b",))
    assert result.condorcet_winner is None


def test_schulze_symmetric_cycle_is_a_three_way_tie() -> None:
    result = tally_schulze(["A", "B", "C"], profile((1, "ABC"), (1, "BCA"), (1, "CAB")))
    assert result.ranking == (("A", "B", "C"),)
    assert result.winners == ("A", "B", "C")
    assert all(v == 2 for row in result.p.values() for v in row.values())


def test_schulze_groups_and_unranked_options() -> None:
    # a and b tied first, c third, d unranked (below every ranked option).
    result = tally_schulze(list("abcd"), [(("a", "b"), "c"), ()])
    assert result.d["a"]["b"] == result.d["b"]["a"] == 0
    assert result.d["a"]["c"] == result.d["b"]["c"] == result.d["c"]["d"] == 1
    assert result.d["d"] == {"a": 0, "b": 0, "c": 0}
    assert result.ranking == (("a", "b"), ("c",), ("d",))
    assert (result.ballots, result.blank) == (2, 1)


# ------------------------------------------------------------ IRV versus Condorcet


def test_irv_and_condorcet_differ_tennessee() -> None:
    """The Tennessee capital example: Nashville is the Condorcet winner,
    instant-runoff elects Knoxville."""
    options = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
    m, n, c, k = options
    ballots = (
        [(m, n, c, k)] * 42 + [(n, c, k, m)] * 26 + [(c, k, n, m)] * 15 + [(k, c, n, m)] * 17
    )
    irv = tally_irv(options, ballots)
    assert [r.counts for r in irv.rounds] == [
        {m: 42, n: 26, c: 15, k: 17},
        {m: 42, n: 26, k: 32},
        {m: 42, k: 58},
    ]
    assert [r.eliminated for r in irv.rounds] == [c, n, None]
    assert irv.winners == (k,)
    assert irv.ranking == ((k,), (m,), (n,), (c,))
    assert irv.scores[k].votes == (17, 32, 58)
    assert irv.scores[n].eliminated_in == 2

    schulze = tally_schulze(options, ballots)
    assert schulze.condorcet_winner == n
    assert schulze.d[n] == {m: 58, c: 68, k: 68}
    assert schulze.winners == (n,)
    assert schulze.ranking == ((n,), (c,), (k,), (m,))


def test_irv_and_condorcet_differ_centre_squeeze() -> None:
    # B is everyone's compromise but has the fewest first preferences.
    ballots = profile((4, "ABC"), (3, "CBA"), (2, "BAC"))
    irv = tally_irv(list("ABC"), ballots)
    assert [r.counts for r in irv.rounds] == [{"A": 4, "B": 2, "C": 3}, {"A": 6, "C": 3}]
    assert irv.winners == ("A",)
    schulze = tally_schulze(list("ABC"), ballots)
    assert schulze.condorcet_winner == "B"  # B over A 5:4, B over C 6:3
    assert schulze.winners == ("B",)


# ---------------------------------------------------------------- IRV tie-breaking


def test_irv_tie_broken_by_previous_round() -> None:
    # Round 2: B and C both have 4; C had fewer in round 1 (3 against 4).
    # Option order alone would have eliminated B (listed last).
    ballots = profile((7, "A"), (4, "B"), (3, "C"), (1, "DC"))
    result = tally_irv(["A", "C", "B", "D"], ballots)
    assert [(r.eliminated, r.tie_break) for r in result.rounds] == [
        ("D", None), ("C", TieBreak.PREVIOUS_ROUNDS), (None, None),
    ]
    final = result.rounds[-1]
    assert (final.counts, final.continuing, final.exhausted) == ({"A": 7, "B": 4}, 11, 4)
    assert result.ranking == (("A",), ("B",), ("C",), ("D",))


def test_irv_tie_broken_by_the_latest_round_first() -> None:
    # Round 3: B and C both have 6. Round 2 had B 4, C 5 (so B goes); round 1 had
    # B 4, C 3 and option order would eliminate C: only the latest round counts.
    ballots = profile((7, "A"), (4, "B"), (3, "C"), (2, "DB"), (1, "DC"), (2, "EC"))
    result = tally_irv(list("ABCDE"), ballots)
    assert [r.counts for r in result.rounds] == [
        {"A": 7, "B": 4, "C": 3, "D": 3, "E": 2},
        {"A": 7, "B": 4, "C": 5, "D": 3},
        {"A": 7, "B": 6, "C": 6},
        {"A": 7, "C": 6},
    ]
    assert [(r.eliminated, r.tie_break) for r in result.rounds] == [
        ("E", None), ("D", None), ("B", TieBreak.PREVIOUS_ROUNDS), (None, None),
    ]
    assert result.rounds[-1].exhausted == 6
    assert result.ranking == (("A",), ("C",), ("B",), ("D",), ("E",))
    assert result.scores["B"] == IrvScore(votes=(4, 4, 6), eliminated_in=3)


@pytest.mark.parametrize(("options", "eliminated", "winner"), [
    (["A", "B", "C"], "C", "B"),  # C is listed last: eliminated, its votes go to B
    (["A", "C", "B"], "B", "A"),  # B is listed last: eliminated, its votes go to A
])
def test_irv_tie_broken_by_option_order(options: list[str], eliminated: str, winner: str) -> None:
    ballots = profile((3, "A"), (2, "BA"), (2, "CB"))
    result = tally_irv(options, ballots)
    assert result.rounds[0].eliminated == eliminated
    assert result.rounds[0].tie_break is TieBreak.OPTION_ORDER
    assert result.winners == (winner,)


def test_irv_exact_tie_and_no_ballots() -> None:
    tied = tally_irv(["A", "B", "C"], profile((2, "AC"), (2, "BC")))
    assert [r.eliminated for r in tied.rounds] == ["C", None]
    assert tied.winners == ("A", "B")
    assert tied.ranking == (("A", "B"), ("C",))

    empty = tally_irv(["A", "B"], [(), ()])
    assert empty.winners == ("A", "B")
    assert (empty.ballots, empty.blank, empty.rounds[0].exhausted) == (2, 2, 2)


# --------------------------------------------------------------- majority judgment


def mj(options: Sequence[str], columns: dict[str, Sequence[Grade]]) -> MajorityJudgmentResult:
    """Majority judgment from per-option grade columns (voter i is row i)."""
    voters = len(next(iter(columns.values())))
    ballots = [{key: column[i] for key, column in columns.items()} for i in range(voters)]
    return tally_majority_judgment(options, ballots)


def test_mj_same_majority_grade_broken_by_next_median() -> None:
    result = mj(["B", "A"], {"A": [E, TB, B, B, P], "B": [TB, B, B, AB, AB]})
    assert result.scores["A"].majority_grade is B
    assert result.scores["B"].majority_grade is B
    # Without one "bien" each: A (E, TB, B, P) -> bien; B (TB, B, AB, AB) -> assez bien.
    assert result.scores["A"].majority_value == (B, B, TB, P, E)
    assert result.scores["B"].majority_value[:2] == (B, AB)
    assert result.ranking == (("A",), ("B",))
    assert result.tiebreaks == (MjTiebreak(("A",), ("B",), 1, B, AB),)


def test_mj_even_number_of_voters_takes_the_lower_median() -> None:
    result = mj(["A", "B"], {"A": [E, E, P, P], "B": [B, B, B, B]})
    assert result.scores["A"].majority_grade is P  # not excellent: the lower middle grade
    assert result.scores["B"].majority_grade is B
    assert result.winners == ("B",)
    assert result.tiebreaks == ()


def test_mj_even_number_of_voters_tie_broken_after_two_medians() -> None:
    result = mj(["B", "A"], {"A": [TB, B, B, AB], "B": [E, B, B, P]})
    assert result.scores["A"].majority_value == (B, B, AB, TB)
    assert result.scores["B"].majority_value == (B, B, P, E)
    assert result.winners == ("A",)
    assert result.tiebreaks == (MjTiebreak(("A",), ("B",), 2, AB, P),)


def test_mj_identical_profiles_stay_tied() -> None:
    result = mj(["A", "B", "C"], {"A": [E, B, P], "B": [P, E, B], "C": [INS, INS, INS]})
    assert result.ranking == (("A", "B"), ("C",))
    assert result.winners == ("A", "B")
    assert result.tiebreaks == ()


def test_mj_ungraded_counts_as_a_rejeter() -> None:
    result = tally_majority_judgment(["A", "B"], [{"A": "bien"}, {}, {"A": B, "B": "passable"}])
    assert result.scores["B"].grades[R] == 2
    assert result.scores["B"].grades[P] == 1
    assert result.scores["B"].majority_grade is R
    assert result.scores["A"].majority_grade is B
    assert (result.ballots, result.blank) == (3, 1)
    no_votes = tally_majority_judgment(["A", "B"], [])
    assert no_votes.winners == ("A", "B")
    assert no_votes.scores["A"].majority_grade is None


def naive_majority_value(counts: Sequence[int]) -> tuple[int, ...]:
    grades = sorted(g for g, n in enumerate(counts) for _ in range(n))
    out = []
    while grades:
        out.append(grades.pop(len(grades) // 2))
    return tuple(out)


@PROPERTY
@given(st.lists(st.integers(0, 6), min_size=len(GRADES), max_size=len(GRADES)))
def test_majority_value_removes_one_lower_median_at_a_time(counts: list[int]) -> None:
    assert majority_value(counts) == naive_majority_value(counts)


# ---------------------------------------------------------------- simple methods


def test_single_and_approval_counts() -> None:
    single = tally_single(["x", "y", "z"], ["y", "x", "y", None, "x"])
    assert single.scores == {"x": 2, "y": 2, "z": 0}
    assert single.ranking == (("x", "y"), ("z",))
    assert (single.ballots, single.blank) == (5, 1)

    approval = tally_approval(["x", "y", "z"], [{"x", "y"}, ["y"], set()])
    assert approval.scores == {"x": 1, "y": 2, "z": 0}
    assert approval.ranking == (("y",), ("x",), ("z",))
    assert (approval.ballots, approval.blank) == (3, 1)


# --------------------------------------------------------------------- validation


@pytest.mark.parametrize(("method", "ballot", "reason", "value"), [
    (Method.SINGLE, "w", Reason.UNKNOWN_OPTION, "w"),
    (Method.APPROVAL, ["a", "w"], Reason.UNKNOWN_OPTION, "w"),
    (Method.SCHULZE, ["a", ("b", "w")], Reason.UNKNOWN_OPTION, "w"),
    (Method.MAJORITY_JUDGMENT, {"w": "bien"}, Reason.UNKNOWN_OPTION, "w"),
    (Method.SCHULZE, [("a",), ("b", "a")], Reason.REPEATED_OPTION, "a"),
    (Method.IRV, ["a", "b", "a"], Reason.REPEATED_OPTION, "a"),
    (Method.SCHULZE, [("c", "c")], Reason.REPEATED_OPTION, "c"),
    (Method.APPROVAL, ["b", "b"], Reason.REPEATED_OPTION, "b"),
    (Method.MAJORITY_JUDGMENT, {"a": "super"}, Reason.BAD_GRADE, "super"),
    (Method.MAJORITY_JUDGMENT, {"a": "Bien"}, Reason.BAD_GRADE, "Bien"),
    (Method.MAJORITY_JUDGMENT, {"a": 3}, Reason.BAD_GRADE, 3),
    (Method.SCHULZE, [("a",), ()], Reason.EMPTY, 2),
    (Method.IRV, [("a", "b")], Reason.TIED, ("a", "b")),
    (Method.APPROVAL, "ab", Reason.MALFORMED, "ab"),
    (Method.SCHULZE, {"a", "b"}, Reason.MALFORMED, {"a", "b"}),
    (Method.SINGLE, ["a"], Reason.MALFORMED, ["a"]),
    (Method.MAJORITY_JUDGMENT, ["a"], Reason.MALFORMED, ["a"]),
])
def test_invalid_ballots(method: Method, ballot: object, reason: Reason, value: object) -> None:
    with pytest.raises(BallotError) as caught:
        validate(method, ["a", "b", "c"], ballot)
    assert caught.value.reason is reason
    assert caught.value.value == value
    assert isinstance(caught.value, ValueError)


def test_limits_and_blank_ballots() -> None:
    options = ["a", "b", "c"]
    with pytest.raises(BallotError) as caught:
        validate(Method.APPROVAL, options, {"a", "b"}, max_choices=1)
    assert (caught.value.reason, caught.value.value, caught.value.limit) == (Reason.TOO_MANY, 2, 1)
    with pytest.raises(BallotError) as caught:
        validate(Method.SCHULZE, options, [("a", "b"), "c"], max_choices=2)
    assert caught.value.reason is Reason.TOO_MANY
    for method, blank in [(Method.SINGLE, None), (Method.APPROVAL, []),
                          (Method.IRV, []), (Method.MAJORITY_JUDGMENT, {})]:
        with pytest.raises(BallotError) as caught:
            validate(method, options, blank, allow_blank=False)
        assert caught.value.reason is Reason.EMPTY
        validate(method, options, blank)  # allowed by default


def test_validate_returns_the_normal_form() -> None:
    options = ["a", "b", "c"]
    assert validate(Method.APPROVAL, options, ["c", "a"]) == frozenset({"a", "c"})
    assert validate(Method.SCHULZE, options, ["b", {"c", "a"}]) == (("b",), ("a", "c"))
    graded = validate("majority_judgment", options, {"c": "bien", "a": Grade.EXCELLENT})
    assert graded == {"a": Grade.EXCELLENT, "c": Grade.BIEN}
    assert list(graded) == ["a", "c"]


def test_tally_reports_the_position_of_a_bad_ballot() -> None:
    with pytest.raises(BallotError) as caught:
        tally(Method.SINGLE, ["a", "b"], ["a", "b", "z"])
    assert (caught.value.reason, caught.value.value, caught.value.position) == (
        Reason.UNKNOWN_OPTION, "z", 2,
    )


@pytest.mark.parametrize("options", [[], ["a", "a"], ["a", ""], "abc", ["a", 1]])
def test_bad_option_lists(options: object) -> None:
    with pytest.raises(ValueError):
        check_options(options)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- JSON


def test_json_shapes() -> None:
    options = ["a", "b", "c"]
    assert ballot_to_json(Method.SINGLE, None) is None
    assert ballot_to_json(Method.APPROVAL, frozenset({"c", "a"})) == ["a", "c"]
    assert ballot_to_json(Method.IRV, (("b",), ("a",))) == [["b"], ["a"]]
    assert ballot_to_json(Method.MAJORITY_JUDGMENT, {"a": Grade.A_REJETER}) == {"a": "a_rejeter"}
    assert ballot_from_json(Method.SCHULZE, [["a", "c"], ["b"]], options) == (("a", "c"), ("b",))
    with pytest.raises(ValueError, match="unknown voting method"):
        poll_from_json({"method": "borda", "options": options, "ballots": []})
    with pytest.raises(BallotError) as caught:
        poll_from_json({"method": "single", "options": options, "ballots": ["a", "q"]})
    assert caught.value.position == 1


def test_export_hides_the_order_of_ballots() -> None:
    first = poll_to_json("approval", ["a", "b"], [{"b"}, {"a", "b"}, set()])
    second = poll_to_json("approval", ["a", "b"], [set(), {"b"}, {"b", "a"}])
    assert first == second
    assert first["ballots"] == [["a", "b"], ["b"], []]


# --------------------------------------------------------------- property tests

KEYS = "abcde"


@st.composite
def rankings(draw: st.DrawFn, options: Sequence[str], strict: bool) -> tuple:
    order = draw(st.permutations(options))
    ranked = order[: draw(st.integers(0, len(options)))]
    if strict:
        return tuple((key,) for key in ranked)
    groups: list[list[str]] = []
    for key in ranked:
        if groups and draw(st.booleans()):
            groups[-1].append(key)
        else:
            groups.append([key])
    return tuple(tuple(group) for group in groups)


def ballot_strategy(method: Method, options: Sequence[str]) -> st.SearchStrategy:
    if method is Method.SINGLE:
        return st.one_of(st.none(), st.sampled_from(options))
    if method is Method.APPROVAL:
        return st.frozensets(st.sampled_from(options))
    if method is Method.MAJORITY_JUDGMENT:
        return st.dictionaries(st.sampled_from(options), st.sampled_from(GRADES))
    return rankings(options, strict=method is Method.IRV)


@st.composite
def polls(draw: st.DrawFn, method: Method) -> tuple[list[str], list]:
    options = list(KEYS[: draw(st.integers(1, len(KEYS)))])
    ballots = draw(st.lists(ballot_strategy(method, options), max_size=15))
    return options, ballots


@pytest.mark.parametrize("method", list(Method))
@PER_METHOD
@given(data=st.data())
def test_tallies_do_not_depend_on_ballot_order(method: Method, data: st.DataObject) -> None:
    options, ballots = data.draw(polls(method))
    shuffled = data.draw(st.permutations(ballots))
    assert tally(method, options, shuffled) == tally(method, options, ballots)


@pytest.mark.parametrize("method", list(Method))
@PER_METHOD
@given(data=st.data())
def test_export_and_recount_reproduce_the_result(method: Method, data: st.DataObject) -> None:
    options, ballots = data.draw(polls(method))
    exported = json.loads(json.dumps(poll_to_json(method, options, ballots)))
    record = poll_from_json(exported)
    assert (record.method, record.options) == (method, tuple(options))
    assert tally(record.method, record.options, record.ballots) == tally(method, options, ballots)
    for ballot in ballots:
        normal = validate(method, options, ballot)
        assert ballot_from_json(method, ballot_to_json(method, normal), options) == normal


@PROPERTY
@given(polls(Method.APPROVAL))
def test_approval_totals_equal_the_sum_of_approvals(poll: tuple[list[str], list]) -> None:
    options, ballots = poll
    result = tally_approval(options, ballots)
    assert sum(result.scores.values()) == sum(len(ballot) for ballot in ballots)
    assert result.scores == {key: sum(key in b for b in ballots) for key in options}
    assert result.blank == sum(1 for b in ballots if not b)


@st.composite
def unanimous(draw: st.DrawFn, method: Method) -> tuple[list[str], str, list]:
    """A poll where every ballot puts the same option strictly first."""
    options = list(KEYS[: draw(st.integers(1, len(KEYS)))])
    favourite = draw(st.sampled_from(options))
    others = [key for key in options if key != favourite]
    count = st.integers(1, 25)
    if method is Method.SINGLE:
        return options, favourite, [favourite] * draw(count)
    if method is Method.APPROVAL:
        rest = st.frozensets(st.sampled_from(others)) if others else st.just(frozenset())
        ballots = draw(st.lists(rest, min_size=1, max_size=15))
        return options, favourite, [b | {favourite} for b in ballots]
    if method is Method.MAJORITY_JUDGMENT:
        lower = st.dictionaries(st.sampled_from(others), st.sampled_from(GRADES[1:])) if others \
            else st.just({})
        ballots = draw(st.lists(lower, min_size=1, max_size=15))
        return options, favourite, [{**b, favourite: Grade.EXCELLENT} for b in ballots]
    tails = st.lists(rankings(others, strict=method is Method.IRV), min_size=1, max_size=15)
    return options, favourite, [((favourite,), *tail) for tail in draw(tails)]


@pytest.mark.parametrize("method", list(Method))
@PER_METHOD
@given(data=st.data())
def test_a_unanimous_first_choice_wins(method: Method, data: st.DataObject) -> None:
    options, favourite, ballots = data.draw(unanimous(method))
    result = tally(method, options, ballots)
    if method is Method.APPROVAL:
        # Others approved on every ballot tie with the favourite.
        everywhere = set.intersection(*(set(b) for b in ballots))
        assert set(result.winners) == everywhere
        assert favourite in result.winners
    else:
        assert result.winners == (favourite,)


def first_among(ranking: tuple, alive: set[str]) -> str | None:
    return next((group[0] for group in ranking if group[0] in alive), None)


@PROPERTY
@given(polls(Method.IRV))
def test_irv_winner_has_a_majority_in_the_final_round(poll: tuple[list[str], list]) -> None:
    options, ballots = poll
    result = tally_irv(options, ballots)
    assert isinstance(result, IrvResult)
    final = result.rounds[-1]
    alive = set(final.counts)
    # Recount the final round from the ballots themselves.
    tops = Counter(first_among(ballot, alive) for ballot in ballots)
    assert final.counts == {key: tops[key] for key in alive}
    assert final.continuing == len(ballots) - tops[None] == len(ballots) - final.exhausted
    assert final.eliminated is None
    assert all(r.eliminated is not None for r in result.rounds[:-1])
    if len(result.winners) == 1 and final.continuing:
        assert 2 * final.counts[result.winners[0]] > final.continuing
    else:  # an exact tie between every continuing option (or nothing left to count)
        assert set(result.winners) == alive
        assert len(set(final.counts.values())) == 1
    assert sorted(key for group in result.ranking for key in group) == sorted(options)


def position(ranking: tuple, key: str) -> int:
    return next((i for i, group in enumerate(ranking) if key in group), len(ranking))


def condorcet_winner(options: Sequence[str], ballots: list) -> str | None:
    def margin(a: str, b: str) -> int:
        return sum(
            (position(r, a) < position(r, b)) - (position(r, b) < position(r, a)) for r in ballots
        )

    winners = [a for a in options if all(margin(a, b) > 0 for b in options if b != a)]
    return winners[0] if winners else None


@PROPERTY
@given(polls(Method.SCHULZE))
def test_schulze_elects_the_condorcet_winner(poll: tuple[list[str], list]) -> None:
    options, ballots = poll
    result = tally_schulze(options, ballots)
    expected = condorcet_winner(options, ballots)
    assert result.condorcet_winner == expected
    if expected is not None:
        assert result.winners == (expected,)
    # Winners are beaten by nobody through strongest paths.
    for a in result.winners:
        assert all(result.p[b][a] <= result.p[a][b] for b in options if b != a)
