"""The search's rules (forecast/recommendation.py, forecast/negotiation.py), each pinned by a
figure worked out by hand (docs/model.md, "The recommended commitment", "Negotiation")."""

from __future__ import annotations

import numpy as np

from forecast.recommendation import SortedUsage

#: Two years, four paths: year 1 usage 10, 20, 30, 40; year 2 usage 40, 5, 25, 15.
USAGE = np.array([[10.0, 40.0], [20.0, 5.0], [30.0, 25.0], [40.0, 15.0]])


def test_sorted_usage_by_hand():
    su = SortedUsage(USAGE)
    assert (su.n_paths, su.years) == (4, 2)
    np.testing.assert_allclose(su.mean, [25, 21.25])  # 100 / 4, 85 / 4
    # E[max(0, L - 20)]: year 1 (0 + 0 + 10 + 20) / 4 = 7.5; year 2 (20 + 0 + 5 + 0) / 4
    # = 6.25. At K = 0 it is the mean; at K = 50 nothing.
    np.testing.assert_allclose(su.excess(np.array([20.0, 0.0, 50.0])),
                               [[7.5, 25, 0], [6.25, 21.25, 0]])
    # P(L < 20): year 1 one path of 4 (10; 20 is not below), year 2 two (5, 15).
    np.testing.assert_allclose(su.below(np.array([20.0])), [[0.25], [0.5]])
    # The yearly minimum per path is 10, 5, 25, 15: P(min < 15) = 2 / 4 (5 and 10), and
    # P(min < 15.5) = 3 / 4.
    np.testing.assert_allclose(su.any_below(np.array([15.0, 15.5])), [0.5, 0.75])
    np.testing.assert_allclose(su.min_sorted, [5, 10, 15, 25])
    np.testing.assert_allclose(su.pooled, [5, 10, 15, 20, 25, 30, 40, 40])
