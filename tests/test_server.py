"""The inbound frame budget of Tocsin's WebSocket server."""

from tocsin.live.server import FrameBudget


def test_the_budget_allows_a_burst_of_rate_frames_then_refuses():
    budget = FrameBudget(3)
    assert [budget.spend() for _ in range(4)] == [True, True, True, False]


def test_the_budget_refills_at_the_rate():
    budget = FrameBudget(10)
    assert all(budget.spend() for _ in range(10)) and not budget.spend()
    budget.stamp -= 0.5  # half a second later
    assert [budget.spend() for _ in range(6)] == [True] * 5 + [False]


def test_a_rate_of_zero_means_no_limit():
    budget = FrameBudget(0)
    assert all(budget.spend() for _ in range(10_000))
