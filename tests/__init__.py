"""Tono's tests. A regular package, so that `tests.…` imports find these and not the stray top-level
`tests` package that textstat 0.7.8 installs into site-packages."""
