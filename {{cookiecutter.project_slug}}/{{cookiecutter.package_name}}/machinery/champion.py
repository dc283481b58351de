"""Maintained by the template (arrives with `cruft update`).

Who holds `champion`: the version that scores best on evaluate.primary_metric, every
contender scored on the same test rows (this run's), so a new split or a metric added since
compares like with like.

One machine's stages take turns under the store lock. Evaluations on other machines sharing
a tracking server may move the alias at the same time, so the decision is checked after it
is made: it is repeated, with any version registered meanwhile, until the alias is found
where it was put. The last evaluation to finish leaves it on the best version.

Only versions that passed the promotion gate (gate.py) compete. With a margin
(evaluate.gate.min_improvement) a challenger needs to beat the holder by that much to take
its place; it applies to the holder only, so every move of the alias improves its value by
the margin at least, and the evaluations still settle on one version.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow

from . import registry, tags

log = logging.getLogger(__name__)

# Rounds of the decision before it settles for what it has.
CHAMPION_ROUNDS = 5


@dataclass(frozen=True)
class Ranking:
    """How `champion` is decided: a metric, whether higher or lower is better, and how to
    score a registered version (by its models:/ URI) on this run's test rows: None when it
    cannot be scored there (another task, columns it needs are gone)."""

    metric: str
    direction: str
    score: Callable[[str], float | None]
    margin: float = 0.0  # what taking the alias from its holder takes (min_improvement)

    def better(self, candidate: float, incumbent: float | None) -> bool:
        """Whether `candidate` beats `incumbent` (None: there is no incumbent)."""
        if incumbent is None:
            return True
        return candidate > incumbent if self.direction == "maximize" else candidate < incumbent

    def displaces(self, candidate: float, holder: float) -> bool:
        """Whether `candidate` takes `champion` from a holder scoring `holder`: better, and
        by the margin at least."""
        gain = abs(candidate - holder)
        close = math.isclose(gain, self.margin, rel_tol=1e-9, abs_tol=1e-12)
        return self.better(candidate, holder) and (gain >= self.margin or close)


@dataclass(frozen=True)
class Decision:
    """The outcome for one version, and the champion it was compared with."""

    champion: bool
    incumbent_version: str | None = None
    incumbent_value: float | None = None
    # Set when the version beat the holder, but by less than this margin (min_improvement).
    short_of: float | None = None

    def tags(self) -> dict[str, str]:
        if self.incumbent_version is None:
            return {}
        value = "not comparable" if self.incumbent_value is None else repr(self.incumbent_value)
        return {tags.INCUMBENT_VERSION: self.incumbent_version, tags.INCUMBENT_VALUE: value}


class Scoreboard:
    """Each contender's score on this run's test rows, computed once per version."""

    def __init__(self, ranking: Ranking, own: Any, own_value: float) -> None:
        self.ranking = ranking
        self.values: dict[str, float | None] = {str(own.version): own_value}

    def value(self, version: Any) -> float | None:
        number = str(version.version)
        if number not in self.values:
            self.values[number] = self.ranking.score(registry.version_uri(number))
        return self.values[number]

    def best(self, holder: Any | None, candidates: list[Any]) -> Any:
        """The first of `candidates` with the best score if it displaces `holder`, else the
        holder; those that cannot be scored lose."""
        best, best_value = None, None
        for candidate in candidates:
            value = None if same(candidate, holder) else self.value(candidate)
            if value is not None and (best is None or self.ranking.better(value, best_value)):
                best, best_value = candidate, value
        held = None if holder is None else self.value(holder)
        if held is not None and (best is None or not self.ranking.displaces(best_value, held)):
            return holder
        return best


def same(one: Any, other: Any) -> bool:
    # Version numbers come back as int from some calls and str from others.
    return one is not None and other is not None and str(one.version) == str(other.version)


def contenders(client: mlflow.MlflowClient, own: Any, after: int | None) -> dict[str, Any]:
    """The versions `own` is compared with besides the champion: itself, those whose
    evaluation is still running, and (with `after`) those registered after version `after`;
    never one that failed the gate."""
    running = registry.running_run_ids(client)
    return {
        str(v.version): v
        for v in registry.versions(client)
        if same(v, own)
        or (
            v.tags.get(tags.GATE, tags.GATE_PASSED) == tags.GATE_PASSED
            and (v.run_id in running or (after is not None and int(v.version) > after))
        )
    }


def newest_version(client: mlflow.MlflowClient) -> int:
    return max((int(v.version) for v in registry.versions(client)), default=0)


def promote_if_better(
    client: mlflow.MlflowClient, own: Any, ranking: Ranking, own_value: float
) -> Decision:
    """Move `champion` to the best of: its holder, `own`, and the versions registered by
    evaluations that overlap this one; say whether `own` is champion, and against whom."""
    scores = Scoreboard(ranking, own, own_value)
    newest_at_start = newest_version(client)
    rivals = contenders(client, own, after=None)
    first_holder = holder = current = registry.current_champion(client)
    for _ in range(CHAMPION_ROUNDS):
        in_order = sorted(rivals.values(), key=lambda v: int(v.version))
        best = scores.best(holder, in_order)
        if not same(holder, best):
            registry.crown(client, best)
        current = registry.current_champion(client)
        joined = contenders(client, own, after=newest_at_start)
        if same(current, best) and joined.keys() <= rivals.keys():
            break
        holder, rivals = current, rivals | joined
    else:
        log.warning("the champion kept moving for %s rounds; left on version %s",
                    CHAMPION_ROUNDS, best.version)  # fmt: skip
    decision = Decision(champion=same(best, own))
    if first_holder is None or same(first_holder, own):
        return decision
    held = scores.value(first_holder)
    short = held is not None and same(best, first_holder) and ranking.better(own_value, held)
    margin = ranking.margin if short else None
    return Decision(decision.champion, str(first_holder.version), held, margin)


def explain(decision: Decision, version: Any, metric: str, value: float, refused: str = "") -> str:
    """One line on the outcome, for the stage's log: why this version is champion or not
    (`refused`: why the promotion gate turned it away)."""
    here = f"version {version.version} ({metric} {value:.4g})"
    if refused:
        return f"{here} is not champion: {refused}"
    if decision.short_of is not None and decision.incumbent_value is not None:
        gain = abs(value - decision.incumbent_value)
        return (
            f"{here} is not champion: it beats champion version {decision.incumbent_version} "
            f"({decision.incumbent_value:.4g} on the same test rows) by {gain:.4g}, less than "
            f"evaluate.gate.min_improvement {decision.short_of:.4g}"
        )
    if decision.incumbent_version is None:
        return f"{here} is champion" if decision.champion else f"{here} is not champion"
    if decision.incumbent_value is None:
        before = f"champion version {decision.incumbent_version} cannot be scored on these rows"
    else:
        before = (
            f"champion version {decision.incumbent_version} scores "
            f"{decision.incumbent_value:.4g} on the same test rows"
        )
    verdict = "takes its place" if decision.champion else "does not beat it"
    return f"{here}: {before}; it {verdict}"
