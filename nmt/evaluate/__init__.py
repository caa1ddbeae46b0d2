"""Scoring translations: test sets, sacreBLEU metrics with signatures and bootstrap intervals,
paired significance tests, and the choice of decoding settings on the valid split.

sacrebleu is imported inside the functions that need it (it is a `train` extra): importing this
package costs nothing on the serving path.
"""
