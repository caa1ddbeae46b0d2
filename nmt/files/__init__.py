"""Offline file translation: `nmt translate INPUT OUTPUT`.

Line formats (plain text, TSV, JSONL) stream through `stream.translate_lines` in chunks with a
resumable output (`resume.py`) and `--shard i/n`, or with `--ray` through `on_ray.py` (the same
chunks on a Ray actor pool; Ray is imported there only); catalogs (gettext `.po`/`.pot`, XLIFF
1.2/2.0) are read whole through translate-toolkit (imported lazily, in `po.py` and `xliff.py`
only) and go through `catalog.translate_catalog`. Importing this package imports neither
translate-toolkit nor tqdm.
"""
