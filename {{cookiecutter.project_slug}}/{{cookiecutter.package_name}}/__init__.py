"""{{ cookiecutter.package_name }}: a DVC pipeline (prepare -> train -> evaluate) tracked in MLflow.

Yours: the science lives here (stages/, features.py, models.py, metrics.py, settings.py);
the template's machinery lives in machinery/.
"""
