"""`python -m {{ cookiecutter.package_name }} <command>`: the project's commands (machinery/cli.py).

Maintained by the template (arrives with `cruft update`).
"""

from .machinery.cli import main

if __name__ == "__main__":
    main()
