"""The `rehsos` console script: Django's manage.py for this project."""

import os
import sys


def _command_names(argv: list[str]) -> list[str]:
    """Accept `rehsos load-demo` for Django's `load_demo` (and `help load-demo`)."""
    argv = list(argv)
    positions = [1, 2] if len(argv) > 2 and argv[1] == "help" else [1]
    for i in positions:
        if i < len(argv) and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    return argv


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehsos.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(_command_names(sys.argv))


if __name__ == "__main__":
    main()
