#!/usr/bin/env bash
# Regenerate the dependency locks that generated projects ship (requirements.lock), one
# for S3 remotes (with dvc-s3) and one for the rest. Needs cookiecutter and uv on PATH and
# access to the package index. Run after changing the generated pyproject.toml's
# dependencies; tests/test_generation.py fails while a lock no longer satisfies them.
set -euo pipefail
template="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
slug_dir="$template/{{cookiecutter.project_slug}}"

lock() {  # $1: output file name in the template, rest: cookiecutter overrides
    local name="$1"; shift
    rm -rf "$scratch/bake" && mkdir "$scratch/bake"
    PATH="/nonexistent:$PATH" cookiecutter --no-input --output-dir "$scratch/bake" "$template" "$@" >/dev/null
    (cd "$scratch/bake/car-origin-classifier" &&
        uv pip compile pyproject.toml --extra dev --universal --python-version 3.10 --quiet \
            --no-header --output-file "$slug_dir/$name")
    echo "wrote $name"
}

lock "{% if cookiecutter.dvc_remote == 's3' %}requirements.lock{% endif %}" \
    dvc_remote=s3 dvc_remote_url=s3://bucket/path
lock "{% if cookiecutter.dvc_remote != 's3' %}requirements.lock{% endif %}"
