"""What a family reads, in their language and register: the gettext catalogues behind `_()` and `say()`.
The floor of the provider's side: imports no other room of it (a contract in pyproject.toml)."""
