"""Home-page panels: case indicators for heads, provincial officers and national roles."""
