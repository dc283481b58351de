"""The pipeline's stages, one module each, run by dvc.yaml as `python -m ...stages.<name>`.

Yours. A stage module declares `PARAMS` (the params.yaml sections it reads, as pydantic
models) and `FILES` (the files it reads and writes, given in dvc.yaml as `--<name> <path>`),
and calls `start(PARAMS, FILES)` first thing in `main()`. Adding a stage means a module like
that, its block in dvc.yaml and its section in params.yaml (docs/extending.md).
"""
