"""Maintained by the template (arrives with `cruft update`).

Every name a run, a registered version or an experiment is tagged with, defined once:
lineage writes them, reproduce, lineage, monitor and the registry read them. The stored
names never change, so runs made by an older version of the template still reproduce.
"""

import hashlib
import json

# A run's lineage: enough to rebuild it (reproduce) and to audit it (lineage REF).
GIT_COMMIT = "lineage.git_commit"
GIT_DIRTY = "lineage.git_dirty"
PARAMS_HASH = "lineage.params_hash"
MODEL_PATH = "lineage.model_path"
MODEL_MD5 = "lineage.model_md5"
PYTHON = "lineage.python"
LOCK_MD5 = "lineage.lock_md5"
DATA_PREFIX = "lineage.data_md5."  # + the data file's path
PACKAGE_PREFIX = "lineage.package."  # + the package's name
# A run made on uncommitted changes logs them as a patch on its commit, and the patch's md5.
CHANGES_MD5 = "lineage.uncommitted_md5"
CHANGES_ARTIFACT = "pipeline/uncommitted.patch"
# Prepare's decision of each input column's kind (machinery/columns.py), logged with the run.
COLUMN_KINDS_ARTIFACT = "column_kinds.json"
# The DVC experiment a run belongs to (`dvc exp run`), from DVC's own environment variables.
EXPERIMENT_NAME = "dvc.exp_name"
EXPERIMENT_BASELINE = "dvc.baseline_rev"
# Which process on which machine a run belongs to, so a run left RUNNING by a killed stage
# can be told from one still going.
HOST = "process.host"
PID = "process.pid"

# The champion decision, on the run.
REGISTERED_VERSION = "registry.version"
IS_CHAMPION = "registry.champion"
RANKED_BY = "registry.ranked_by"
INCUMBENT_VERSION = "registry.incumbent_version"
INCUMBENT_VALUE = "registry.incumbent_value"
# The promotion gate (gate.py), on the run and on its version: `passed` or the rule failed
# (beat_baseline, min_value; on the run also min_improvement), the baseline's value of the
# primary metric on the same test rows, and which baseline it was. The baseline's metrics
# are logged as BASELINE_PREFIX + <metric>.
GATE, GATE_PASSED = "registry.gate", "passed"
BASELINE_VALUE = "registry.baseline_value"
BASELINE_MODEL = "registry.baseline"
BASELINE_PREFIX = "baseline."

# On a registered version: the md5 of its model file (one version per distinct model).
VERSION_MODEL_MD5 = "model_md5"
# ... and its lineage, for a reviewer of the registry: the run's own lineage tags (commit,
# dirty flag, params hash, each data file's md5, dvc.lock's md5) under the same names, and:
VERSION_RUN_ID = "lineage.run_id"
VERSION_METRIC = "lineage.metric"  # the primary metric's name
VERSION_METRIC_VALUE = "lineage.metric_value"
ENVIRONMENT_MD5 = "lineage.environment_md5"  # of the run's environment tags (is_environment)
VERSION_LINEAGE = (GIT_COMMIT, GIT_DIRTY, PARAMS_HASH, LOCK_MD5, MODEL_MD5)

# The experiment's kind: MLflow UIs that read it open the experiment on its training runs
# rather than on the GenAI traces view.
EXPERIMENT_KIND, MODEL_TRAINING = "mlflow.experimentKind", "custom_model_development"


def is_environment(key: str) -> bool:
    """Whether a tag describes the environment a run was made in (Python, lock, packages)."""
    return key in (PYTHON, LOCK_MD5) or key.startswith(PACKAGE_PREFIX)


def version_lineage(run: dict[str, str], run_id: str, metric: str, value: float) -> dict[str, str]:
    """The tags a registered version carries, from its run's lineage tags `run`."""
    environment = sorted((key, run[key]) for key in run if is_environment(key))
    return {
        **{key: run[key] for key in VERSION_LINEAGE if key in run},
        **{key: run[key] for key in run if key.startswith(DATA_PREFIX)},
        VERSION_RUN_ID: run_id,
        VERSION_METRIC: metric,
        VERSION_METRIC_VALUE: repr(value),
        ENVIRONMENT_MD5: hashlib.md5(json.dumps(environment).encode()).hexdigest(),
    }
