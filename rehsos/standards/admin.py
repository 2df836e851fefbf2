"""Django admin for the standards app: each part registers its models in its own module."""

from rehsos.standards import admin_catalogue  # noqa: F401
