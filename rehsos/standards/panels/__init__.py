"""Panels the standards app adds to the home page and the centre page (one module per
part, imported by ``StandardsConfig.ready``)."""
