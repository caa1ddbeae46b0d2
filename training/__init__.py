"""Lightning training on top of the `nmt` core (never imported by `nmt` or `serving`)."""
