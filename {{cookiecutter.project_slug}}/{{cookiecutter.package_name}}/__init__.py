"""{{ cookiecutter.package_name }}: a DVC pipeline (prepare -> train -> evaluate) tracked in MLflow."""
