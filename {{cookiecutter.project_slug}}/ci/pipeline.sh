#!/usr/bin/env bash
# The CI `pipeline` job, for GitHub Actions and GitLab CI alike (and for you: `bash
# ci/pipeline.sh` after `make install` does the same here): pull the data, reproduce the
# pipeline, report metric and plot changes against the main branch, and push the data and
# models only when PUSH=true (the CI files set it on the main branch).
#   SUMMARY      a Markdown file to append the report to (GitHub: $GITHUB_STEP_SUMMARY);
#                the report is printed either way
#   MAIN_BRANCH  the branch to compare with (default: main)
# MLflow logs to MLFLOW_TRACKING_URI when it is set (a CI secret/variable), else to the
# project's mlflow.db, which the CI files keep as a job artifact.
set -euo pipefail
export PATH="$PWD/.venv/bin:$PATH"
summary=${SUMMARY:-/dev/null}
main=${MAIN_BRANCH:-main}

remote=$(dvc remote default 2>/dev/null || true)
url=$([ -z "$remote" ] || dvc config "remote.$remote.url")
if [ -z "$url" ]; then
    echo "pipeline skipped: no default DVC remote to pull the data from; add one (dvc remote add --default ...)"
    exit 0
fi
case "$url" in
    *://*) ;;
    *) if [ ! -d "$url" ]; then
           echo "pipeline skipped: the DVC remote is the folder $url, which is not on this machine (on CI: use a remote it can reach, e.g. s3; on the machine that has it: \`dvc push\` first)"
           exit 0
       fi ;;
esac

dvc pull
dvc repro
git fetch --quiet origin "$main:refs/remotes/origin/$main" 2>/dev/null || true
against=$(git rev-parse --verify --quiet "origin/$main" >/dev/null && echo "origin/$main" || echo HEAD)
[ "$summary" = /dev/null ] || mkdir -p "$(dirname "$summary")"
{
    echo "## Metrics: this commit against $against"
    echo
    dvc metrics diff "$against" --all --md
    echo
    dvc plots diff "$against" --out dvc_plots >/dev/null
    echo "Plots against $against: dvc_plots/index.html in the job's artifacts."
} | tee -a "$summary"

if [ "${PUSH:-false}" = true ]; then
    dvc push
fi
