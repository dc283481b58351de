"""The template's machinery: maintained by the template, it arrives with `cruft update`.

Everything a stage needs besides your science: params validation, file handling, the MLflow
store, lineage, the registry and champion decision, and the project's commands. You should
not need to edit these files; your code lives one level up (stages/, features.py,
models.py, metrics.py, settings.py). An edit here is yours to carry through template updates.
"""
