"""Assessment instruments defined as data: the definition schema (``schema``), the
scorer (``scoring``), the page form and API schema built from a definition
(``forms``), the built-in definitions (``definitions/*.json``, loaded by
``builtin``) and the administration of versions (``versions``)."""
