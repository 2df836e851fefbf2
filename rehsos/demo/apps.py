from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "rehsos.demo"
    label = "demo"
    verbose_name = _("Demo data")

    def serve_banner(self) -> list[str]:
        """Lines `rehsos serve` prints on start: the demo logins, once they are loaded."""
        from rehsos.demo.accounts import logins_table

        return logins_table()
