"""The two ONNX graphs, their names and axes, and the export of each in a fresh process.

encoder.onnx
    inputs:  src_ids int64 [batch, src_len], src_lengths int64 [batch]
    outputs: the model's `state_keys` in order, same names: memory [batch, src_len, M],
             memory_proj [batch, src_len, K], src_mask bool [batch, src_len], h [batch, L, H],
             c [batch, L, H] (LSTM), feed [batch, H] (input feeding)
decoder_step.onnx
    inputs:  prev_tokens int64 [batch], then every state key (same names and shapes), then
             k int64 [1]
    outputs: top_log_probs float32 [batch, k], top_ids int64 [batch, k] (the k best tokens of
             each row, best first, ties to the lower id: `nmt.export.topk_graph`), attention
             float32 [batch, src_len], then new_<key> for each recurrent key (new_h, new_c,
             new_feed)

A legacy step (`topk=False`, and every graph exported before the top-k head) has no `k` input
and returns log_probs float32 [batch, V] in place of the two top-k outputs; the ONNX Runtime
backend still runs those.

The static state entries (memory, memory_proj, src_mask) are inputs of the step but not
outputs: the search passes them through unchanged, so a step never copies the memory.

Why a fresh process per graph: with `dynamo=False` (TorchScript tracing; `dynamo=True` fails on
`pack_padded_sequence`), one failed export in a process has been seen to freeze the length axis
of a later export silently. Each graph is exported by `python -m nmt.export._child` from a saved
copy of the weights, and every input and output is then checked to keep its dynamic axes.

This module imports torch only inside the functions that need it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nmt.config import ModelConfig
from nmt.export.topk_graph import K_INPUT, TOP_IDS, TOP_VALUES, add_topk_head

if TYPE_CHECKING:
    import onnx
    import torch

    from nmt.model.seq2seq import Seq2Seq

logger = logging.getLogger(__name__)

GraphName = Literal["encoder", "decoder_step"]
GRAPHS: tuple[GraphName, GraphName] = ("encoder", "decoder_step")
ENCODER_FILE = "encoder.onnx"
DECODER_FILE = "decoder_step.onnx"
FILES: dict[GraphName, str] = {"encoder": ENCODER_FILE, "decoder_step": DECODER_FILE}

BATCH, SRC_LEN, TOPK = "batch", "src_len", "k"
OPSET = 17
# Example sizes for tracing: all different and > 1, so no traced size can be mistaken for
# another axis or specialised as a broadcastable 1.
_TRACE_BATCH, _TRACE_LEN = 3, 7
_STATIC = ("memory", "memory_proj", "src_mask")
LEGACY_FLAG = "--legacy-step"  # the export child's flag for topk=False
JOINT_FLAG = "--joint-gates"  # the export child's flag for joint_gates=True


class GraphError(RuntimeError):
    """An exported graph that does not have the contract's inputs, outputs or dynamic axes."""


def recurrent_keys(cfg: ModelConfig) -> tuple[str, ...]:
    """h, c (LSTM only), feed (input feeding only): mirrors `Seq2Seq.recurrent_keys`."""
    keys = ["h"]
    if cfg.cell == "lstm":
        keys.append("c")
    if cfg.input_feeding:
        keys.append("feed")
    return tuple(keys)


def state_keys(cfg: ModelConfig) -> tuple[str, ...]:
    """Static keys, then recurrent keys: mirrors `Seq2Seq.state_keys` (the I/O order)."""
    return _STATIC + recurrent_keys(cfg)


def graph_io(
    cfg: ModelConfig, graph: GraphName, *, topk: bool = True
) -> tuple[list[str], list[str]]:
    """(input names, output names) of a graph, in order, as the contract above says
    (`topk=False`: the legacy step, as traced)."""
    if graph == "encoder":
        return ["src_ids", "src_lengths"], list(state_keys(cfg))
    recurrent = [f"new_{k}" for k in recurrent_keys(cfg)]
    if not topk:
        return ["prev_tokens", *state_keys(cfg)], ["log_probs", "attention", *recurrent]
    inputs = ["prev_tokens", *state_keys(cfg), K_INPUT]
    return inputs, [TOP_VALUES, TOP_IDS, "attention", *recurrent]


def contract_shapes(
    cfg: ModelConfig, graph: GraphName, *, topk: bool = True
) -> dict[str, list[str | int]]:
    """Name -> axes (symbolic name or fixed size) of every input and output of a graph."""
    memory = 2 * cfg.enc_hidden
    proj = memory if cfg.attention == "luong_dot" else cfg.dec_hidden
    layered: list[str | int] = [BATCH, cfg.dec_layers, cfg.dec_hidden]
    state: dict[str, list[str | int]] = {
        "memory": [BATCH, SRC_LEN, memory],
        "memory_proj": [BATCH, SRC_LEN, proj],
        "src_mask": [BATCH, SRC_LEN],
        "h": layered,
        "c": layered,
        "feed": [BATCH, cfg.dec_hidden],
    }
    shapes: dict[str, list[str | int]]
    keys = state_keys(cfg)
    if graph == "encoder":
        shapes = {"src_ids": [BATCH, SRC_LEN], "src_lengths": [BATCH]}
        shapes.update({k: state[k] for k in keys})
        return shapes
    shapes = {"prev_tokens": [BATCH], **{k: state[k] for k in keys}}
    if topk:
        shapes.update({K_INPUT: [1], TOP_VALUES: [BATCH, TOPK], TOP_IDS: [BATCH, TOPK]})
    else:
        shapes["log_probs"] = [BATCH, cfg.vocab_size]
    shapes["attention"] = [BATCH, SRC_LEN]
    shapes.update({f"new_{k}": state[k] for k in recurrent_keys(cfg)})
    return shapes


def dynamic_axes(
    cfg: ModelConfig, graph: GraphName, *, topk: bool = True
) -> dict[str, dict[int, str]]:
    """Name -> {axis: symbolic name} for every input and output of a graph."""
    return {
        name: {i: d for i, d in enumerate(dims) if isinstance(d, str)}
        for name, dims in contract_shapes(cfg, graph, topk=topk).items()
    }


def _wrappers(
    model: Seq2Seq, *, joint_gates: bool = False
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """nn.Module wrappers whose forward is `encode` / `step` with positional tensors
    (`joint_gates`: see `Seq2Seq.step`)."""
    from torch import Tensor, nn

    keys, recurrent = model.state_keys, model.recurrent_keys

    class EncoderGraph(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, src_ids: Tensor, src_lengths: Tensor) -> tuple[Tensor, ...]:
            state = self.model.encode(src_ids, src_lengths)
            return tuple(state[k] for k in keys)

    class StepGraph(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, prev_tokens: Tensor, *values: Tensor) -> tuple[Tensor, ...]:
            log_probs, attention, new = self.model.step(
                prev_tokens, dict(zip(keys, values, strict=True)), joint_gates=joint_gates
            )
            return (log_probs, attention, *(new[k] for k in recurrent))

    return EncoderGraph(), StepGraph()


def _example_inputs(model: Seq2Seq, graph: GraphName) -> tuple[torch.Tensor, ...]:
    import torch

    from nmt.tokenizer import BOS_ID, PAD_ID

    gen = torch.Generator().manual_seed(0)
    lengths = torch.tensor([_TRACE_LEN, 4, 2], dtype=torch.int64)
    ids = torch.randint(4, model.cfg.vocab_size, (_TRACE_BATCH, _TRACE_LEN), generator=gen)
    ids = ids.masked_fill(torch.arange(_TRACE_LEN) >= lengths.unsqueeze(1), PAD_ID)
    if graph == "encoder":
        return ids, lengths
    with torch.no_grad():
        state = model.encode(ids, lengths)
    prev = torch.full((_TRACE_BATCH,), BOS_ID, dtype=torch.int64)
    return (prev, *(state[k] for k in model.state_keys))


def export_graph(
    model: Seq2Seq, graph: GraphName, path: Path, *, topk: bool = True, joint_gates: bool = False
) -> None:
    """Trace one graph of `model` to `path` (ONNX opset 17, `dynamo=False`), in THIS process.

    Use `export_graphs` instead, which runs this in a fresh process per graph. The model is
    put in eval mode (dropout off) for the export; its own mode is restored afterwards. The
    decoder step is traced with its legacy log_probs output and, with `topk`, then given its
    top-k head (`add_topk_head`). The outputs' declared shapes are then set to the contract's
    (`annotate_outputs`).
    """
    import torch

    encoder, step = _wrappers(model, joint_gates=joint_gates)
    wrapper = encoder if graph == "encoder" else step
    # torch.onnx.export restores the *wrapper's* training mode afterwards: the wrapper itself
    # must be in eval mode, or dropout would be exported as active.
    was_training = model.training
    wrapper.eval()
    inputs, outputs = graph_io(model.cfg, graph, topk=False)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The packed RNN's tracer warnings (sizes read as Python ints, a GRU "variable
            # length" caveat) are expected: `check_graph` and the parity check run the graphs
            # at other batch sizes and lengths than the trace's and would catch a frozen size.
            warnings.filterwarnings("ignore", message="Converting a tensor to a Python")
            warnings.filterwarnings("ignore", message=".*with a variable length with")
            # dynamo=False is deliberate (see the module docstring), not an oversight.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            torch.onnx.export(
                wrapper,
                _example_inputs(model, graph),
                str(path),
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=dynamic_axes(model.cfg, graph, topk=False),
                opset_version=OPSET,
                dynamo=False,
                do_constant_folding=True,
            )
    finally:
        model.train(was_training)
    if topk and graph == "decoder_step":
        _add_head(path, model.cfg.vocab_size)
    annotate_outputs(path, model.cfg, graph, topk=topk)


def _add_head(path: Path, vocab: int) -> None:
    import onnx

    traced = onnx.load(str(path))
    add_topk_head(traced, vocab)
    onnx.save(traced, str(path))


def save_weights(model: Seq2Seq, path: Path) -> None:
    """The model's config and weights in a file the export child loads (`load_weights`)."""
    import torch

    from nmt.config import to_dict

    torch.save({"model_config": to_dict(model.cfg), "state_dict": model.state_dict()}, path)


def load_weights(path: Path) -> Seq2Seq:
    """A Seq2Seq in eval mode from a `save_weights` file (plain tensors: weights_only)."""
    import torch

    from nmt.config import from_dict
    from nmt.model.seq2seq import Seq2Seq

    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = Seq2Seq(from_dict(ModelConfig, saved["model_config"]))
    model.load_state_dict(saved["state_dict"])
    return model.eval()


def export_graphs(
    model: Seq2Seq,
    out_dir: Path,
    *,
    timeout: float = 600.0,
    topk: bool = True,
    joint_gates: bool = False,
    graphs: Sequence[GraphName] = GRAPHS,
) -> dict[str, Path]:
    """Export encoder.onnx and decoder_step.onnx (or just `graphs`) of `model` into `out_dir`,
    each graph in a fresh Python process, then check each against the contract
    (`check_graph`). `topk=False` writes the legacy decoder step (log_probs [batch, V]; for
    tests and comparisons); `joint_gates` traces the step with one gate product per layer (the
    graph int8 is quantized from; see `StackedCell.joint_step`).

    Returns {graph: path}. Raises GraphError when a child fails or a graph breaks the contract.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="nmt-export-") as tmp:
        weights = Path(tmp) / "weights.pt"
        save_weights(model, weights)
        for graph in graphs:
            path = out_dir / FILES[graph]
            _run_child(graph, weights, path, timeout, topk=topk, joint_gates=joint_gates)
            check_graph(path, model.cfg, graph, topk=topk)
            paths[graph] = path
            logger.info("exported %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return paths


def _run_child(
    graph: GraphName, weights: Path, path: Path, timeout: float, *, topk: bool, joint_gates: bool
) -> None:
    cmd = [sys.executable, "-m", "nmt.export._child", graph, str(weights), str(path)]
    cmd += ([] if topk else [LEGACY_FLAG]) + ([JOINT_FLAG] if joint_gates else [])
    # The child must import this checkout's nmt, wherever the caller's cwd is.
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise GraphError(f"export of {graph} failed (exit {proc.returncode}):\n{tail}")


def _dims(value: onnx.ValueInfoProto) -> list[str | int]:
    """Each axis as its symbolic name (dynamic) or its fixed size."""
    dims = value.type.tensor_type.shape.dim
    return [d.dim_param if d.HasField("dim_param") else int(d.dim_value) for d in dims]


def graph_axes(path: Path) -> dict[str, list[str | int]]:
    """Name -> axes (symbolic name or fixed size) of every input and output of an ONNX file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {v.name: _dims(v) for v in [*model.graph.input, *model.graph.output]}


def check_graph(path: Path, cfg: ModelConfig, graph: GraphName, *, topk: bool = True) -> None:
    """Raise GraphError unless the graph at `path` has exactly the contract's input and output
    names, in order, and every input and output exactly the contract's axes: symbolic
    (`dim_param`) batch and src_len axes, fixed sizes elsewhere."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    want_in, want_out = graph_io(cfg, graph, topk=topk)
    got_in = [v.name for v in model.graph.input]
    got_out = [v.name for v in model.graph.output]
    if (got_in, got_out) != (want_in, want_out):
        raise GraphError(
            f"{path.name}: inputs {got_in} / outputs {got_out}, expected {want_in} / {want_out}"
        )
    want = contract_shapes(cfg, graph, topk=topk)
    for value in [*model.graph.input, *model.graph.output]:
        dims = _dims(value)
        if dims != want[value.name]:
            raise GraphError(
                f"{path.name}: {value.name} has axes {dims}, expected {want[value.name]}"
            )


def annotate_outputs(path: Path, cfg: ModelConfig, graph: GraphName, *, topk: bool = True) -> None:
    """Rewrite the declared shapes of the graph's outputs to the contract's, in place.

    The TorchScript exporter's own shape inference can mislabel an output axis (it named the
    hidden axis of `feed` "src_len" when two sizes matched); the computation is right, but ONNX
    Runtime checks results against the declared shapes and other tools read them. Inputs are
    left as exported: `check_graph` verifies those, since they are what could really be frozen.
    """
    import onnx

    model = onnx.load(str(path))
    want = contract_shapes(cfg, graph, topk=topk)
    for value in model.graph.output:
        shape = value.type.tensor_type.shape
        shape.ClearField("dim")
        for dim in want[value.name]:
            if isinstance(dim, str):
                shape.dim.add().dim_param = dim
            else:
                shape.dim.add().dim_value = dim
    onnx.save(model, str(path))


def describe(path: Path) -> dict[str, Any]:
    """Inputs and outputs of a graph with their axes, for reports."""
    return {"file": path.name, "bytes": path.stat().st_size, "io": graph_axes(path)}
