"""Entry of the fresh process that exports one graph: `python -m nmt.export._child GRAPH
WEIGHTS OUT [--legacy-step] [--joint-gates]` (GRAPH: encoder | decoder_step; the flags: no
top-k head; one gate product per layer, the int8 source).
Started by `nmt.export.graphs.export_graphs`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from nmt.export.graphs import GRAPHS, JOINT_FLAG, LEGACY_FLAG, export_graph, load_weights

logger = logging.getLogger(__name__)


def main(argv: list[str]) -> int:
    legacy, joint = LEGACY_FLAG in argv, JOINT_FLAG in argv
    name, weights, out = [arg for arg in argv if arg not in (LEGACY_FLAG, JOINT_FLAG)]
    graph = next((g for g in GRAPHS if g == name), None)
    if graph is None:
        raise SystemExit(f"unknown graph {name!r}; one of {GRAPHS}")
    import torch

    torch.set_num_threads(1)  # tracing is tiny work; the parent may be busy on other cores
    model = load_weights(Path(weights))
    export_graph(model, graph, Path(out), topk=not legacy, joint_gates=joint)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
