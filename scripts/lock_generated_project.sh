#!/usr/bin/env bash
# Regenerate the dependency locks that generated projects ship (requirements.lock), one
# for S3 remotes (with dvc-s3) and one for the rest. Needs cookiecutter and uv on PATH and
# access to the package index. Run after changing the generated pyproject.toml's
# dependencies; tests/test_generation.py fails while a lock no longer satisfies them.
# Each lock is compiled the way the project's `make lock` compiles it, starting from the lock
# it replaces (uv keeps those pins; UPGRADE=1 re-pins all), for the Python range the project's
# Makefile names (LOCK_PYTHON). The project's name in uv's "via" notes becomes Jinja again, so a
# project's own `make lock` leaves those lines as they are.
set -euo pipefail
template="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
slug_dir="$template/{{cookiecutter.project_slug}}"
project_name='{{ cookiecutter.project_slug | slugify }}'

lock() {  # $1: output file name in the template, rest: cookiecutter overrides
    local name="$1"; shift
    rm -rf "$scratch/bake" && mkdir "$scratch/bake"
    PATH="/nonexistent:$PATH" cookiecutter --no-input --output-dir "$scratch/bake" "$template" \
        project_name=lock "$@" >/dev/null
    (cd "$scratch/bake/lock" &&
        uv pip compile pyproject.toml --extra dev --universal \
            --python-version "$(sed -n 's/^LOCK_PYTHON ?= //p' Makefile)" ${UPGRADE:+--upgrade} \
            --quiet --no-header --output-file requirements.lock &&
        sed -E "s/^(    # via |    #   )lock \(pyproject.toml\)$/\1$project_name (pyproject.toml)/" \
            requirements.lock > "$slug_dir/$name")
    echo "wrote $name"
}

lock "{% if cookiecutter.dvc_remote == 's3' %}requirements.lock{% endif %}" \
    dvc_remote=s3 dvc_remote_url=s3://bucket/path
lock "{% if cookiecutter.dvc_remote != 's3' %}requirements.lock{% endif %}"
