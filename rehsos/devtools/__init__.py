"""Developer tooling run by the Makefile, CI and pre-commit: the PostgreSQL test run
(``python -m rehsos.devtools.pgtest``) and the translation catalogue check
(``python -m rehsos.devtools.messages``). Nothing here is imported by the app."""
