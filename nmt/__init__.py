"""nmt: self-hosted neural machine translation for software-localization text.

Importing this package pulls in none of torch, Lightning or FastAPI: the serving path and the
offline tools stay light. Frameworks are imported lazily by the subcommands that need them.
"""

__version__ = "0.1.0"
