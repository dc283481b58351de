"""The values chosen when this project was baked: where runs go and what they are called.

Yours to change: stages and commands read these names from here and nowhere else.
MLFLOW_TRACKING_URI in the environment overrides TRACKING_URI (a team server, say).
"""

# Empty: the SQLite file mlflow.db at the repository's root.
TRACKING_URI = {{ cookiecutter.mlflow_tracking_uri | tojson }}
EXPERIMENT_NAME = {{ cookiecutter.project_slug | tojson }}
REGISTERED_MODEL_NAME = {{ cookiecutter.registered_model_name | tojson }}
# The alias on the best registered version: what predict, monitor and `make serve` use.
CHAMPION_ALIAS = "champion"
