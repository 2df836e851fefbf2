"""Django admin for case management: each area registers its models in its own module."""

from rehsos.cases import admin_instruments, admin_reference  # noqa: F401
