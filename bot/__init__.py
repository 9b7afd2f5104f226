"""The provider's side: the chat assistant and everything the provider runs, in rooms that stand in layers
(a contract in pyproject.toml): desk and channels on top, then chat, people, reports (reports under the
agreement and the ledger), records (the programme's data and the consent register), requests, outbound,
flows, copies, and language at the floor. models.py holds the provider's tables; catalogues.py is the
translators' command (`python -m bot.catalogues`)."""
