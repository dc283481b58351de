"""The metrics evaluate computes: one decorated function each. Yours: add your own here.

`@metric(task, direction)` registers a function under its own name; that one entry is all
there is (params validation, scoring, the champion decision and the tests read it).
`scored` holds the model, the test features, `actual` and `predicted` values, and the
class `probabilities`. For example:

    @metric(CLASSIFICATION, MAXIMIZE)
    def balanced_accuracy(scored: Scored) -> float:
        return balanced_accuracy_score(scored.actual, scored.predicted)
"""

from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .machinery.metric_registry import MAXIMIZE, MINIMIZE, Scored, metric
from .machinery.params import CLASSIFICATION, REGRESSION


@metric(CLASSIFICATION, MAXIMIZE)
def accuracy(scored: Scored) -> float:
    return accuracy_score(scored.actual, scored.predicted)


@metric(CLASSIFICATION, MAXIMIZE)
def f1_macro(scored: Scored) -> float:
    return f1_score(scored.actual, scored.predicted, average="macro")


@metric(CLASSIFICATION, MAXIMIZE)
def roc_auc(scored: Scored) -> float:
    """One-vs-rest macro ROC AUC, for two classes or more."""
    probabilities = scored.probabilities
    classes = scored.model.classes_
    if len(classes) == 2:
        return roc_auc_score(scored.actual == classes[1], probabilities[:, 1])
    return roc_auc_score(
        scored.actual, probabilities, multi_class="ovr", average="macro", labels=classes
    )


@metric(REGRESSION, MINIMIZE)
def rmse(scored: Scored) -> float:
    return root_mean_squared_error(scored.actual, scored.predicted)


@metric(REGRESSION, MINIMIZE)
def mae(scored: Scored) -> float:
    return mean_absolute_error(scored.actual, scored.predicted)


@metric(REGRESSION, MAXIMIZE)
def r2(scored: Scored) -> float:
    return r2_score(scored.actual, scored.predicted)
