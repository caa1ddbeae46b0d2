"""int8 quantization of the exported graphs: dynamic (the default) and static (calibrated).

Dynamic quantization (`quantize_dynamic`, QInt8 weights) stores the weights of every MatMul
with a constant weight, the encoder's LSTM and the embedding Gather in int8, and quantizes each
MatMul's activations at run time with one scale per call, i.e. per batch: an int8 result can
therefore shift slightly with batch composition (measured and reported by the parity check).

Static quantization (`quantize_static_graph`) fixes the activation scales from a calibration
set (valid sentences run through the fp32 graphs), so results do not depend on the batch; it
costs a calibration pass and is kept as an alternative (see the export report).

Both work on a copy of the fp32 graph where each Gemm with a constant weight is rewritten as
MatMul + Add (`gemm_to_matmul`): ONNX Runtime's dynamic quantizer has no Gemm rule, and the
TorchScript exporter writes every nn.Linear on a 2-D input (all of a decoder step's: the LSTM
gates and the 512 x 8000 output projection, most of the FLOPs) as Gemm.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

logger = logging.getLogger(__name__)


def _attr(node: onnx.NodeProto, name: str, default: float) -> float:
    for attribute in node.attribute:
        if attribute.name == name:
            return float(attribute.f if attribute.type == attribute.FLOAT else attribute.i)
    return default


def _transposed(model: onnx.ModelProto, name: str, cache: dict[str, str]) -> str:
    """The name of an initializer holding initializer `name` transposed (added once)."""
    from onnx import numpy_helper

    if name not in cache:
        inits = {init.name: init for init in model.graph.initializer}
        array = numpy_helper.to_array(inits[name])
        new = f"{name}_t"
        model.graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(array.T), new))
        cache[name] = new
    return cache[name]


def gemm_to_matmul(model: onnx.ModelProto) -> int:
    """Rewrite in place each Gemm(A, W, b) with a constant W (alpha = beta = 1, A not
    transposed) as MatMul(A, W or W^T) -> Add(b). Same function; returns how many were done.

    Initializers left unused (a W that was only read transposed) are removed, so the graph
    does not carry both layouts.
    """
    from onnx import helper

    constants = {init.name for init in model.graph.initializer}
    cache: dict[str, str] = {}
    nodes: list[onnx.NodeProto] = []
    done = 0
    for node in model.graph.node:
        ok = node.op_type == "Gemm" and len(node.input) >= 2 and node.input[1] in constants
        if not ok or _attr(node, "alpha", 1) != 1 or _attr(node, "transA", 0) != 0:
            nodes.append(node)
            continue
        if len(node.input) == 3 and node.input[2] and _attr(node, "beta", 1) != 1:
            nodes.append(node)
            continue
        weight = node.input[1]
        if _attr(node, "transB", 0):
            weight = _transposed(model, weight, cache)
        has_bias = len(node.input) == 3 and bool(node.input[2])
        product = f"{node.output[0]}_matmul" if has_bias else node.output[0]
        nodes.append(helper.make_node("MatMul", [node.input[0], weight], [product], node.name))
        if has_bias:
            nodes.append(
                helper.make_node(
                    "Add", [product, node.input[2]], [node.output[0]], f"{node.name}_bias"
                )
            )
        done += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    _drop_unused_initializers(model)
    return done


def _drop_unused_initializers(model: onnx.ModelProto) -> None:
    used = {name for node in model.graph.node for name in node.input}
    used |= {out.name for out in model.graph.output}
    keep = [init for init in model.graph.initializer if init.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)


def _matmul_copy(src: Path, tmp: Path) -> Path:
    """`src` with its Gemms rewritten (`gemm_to_matmul`), saved in `tmp`."""
    import onnx

    model = onnx.load(str(src))
    count = gemm_to_matmul(model)
    logger.debug("%s: %d Gemm -> MatMul + Add", src.name, count)
    out = tmp / src.name
    onnx.save(model, str(out))
    return out


def quantize_dynamic_graph(src: Path, dst: Path, *, per_channel: bool = False) -> Path:
    """Dynamic int8 quantization of one fp32 graph: int8 weights (QInt8), activations
    quantized per call. Only MatMuls whose weight is a constant are quantized (attention's
    activation x activation products stay fp32: their scale would change every step)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nmt-quant-") as tmp:
        quantize_dynamic(
            _matmul_copy(src, Path(tmp)),
            dst,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            extra_options={"MatMulConstBOnly": True},
        )
    logger.info("int8 (dynamic) %s: %.1f MB", dst, dst.stat().st_size / 1e6)
    return dst


class FeedReader:
    """An onnxruntime `CalibrationDataReader` over a list of input feeds (name -> array)."""

    def __init__(self, feeds: Sequence[dict[str, Any]]) -> None:
        self._feeds = list(feeds)
        self._iter: Iterator[dict[str, Any]] = iter(self._feeds)

    def get_next(self) -> dict[str, Any] | None:
        return next(self._iter, None)

    def rewind(self) -> None:
        self._iter = iter(self._feeds)


def quantize_static_graph(
    src: Path, dst: Path, feeds: Sequence[dict[str, Any]], *, per_channel: bool = False
) -> Path:
    """Static int8 quantization (QDQ, uint8 activations, int8 weights, min-max calibration) of
    the MatMuls with constant weights, calibrated on `feeds` (inputs of `src`)."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nmt-quant-") as tmp:
        quantize_static(
            _matmul_copy(src, Path(tmp)),
            dst,
            FeedReader(feeds),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"MatMulConstBOnly": True},
        )
    logger.info("int8 (static) %s: %.1f MB", dst, dst.stat().st_size / 1e6)
    return dst
