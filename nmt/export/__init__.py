"""ONNX export of a trained run: encoder.onnx + decoder_step.onnx (fp32 and int8), with a
parity check against PyTorch that fails the export when it does not hold.

Entry points: `export_run(run_dir, out_dir, ...) -> ExportReport` (raises ExportError), and the
command line `python -m nmt.export RUN_DIR OUT_DIR` (`nmt.export.cli.main`; `add_arguments` and
`run` for a subcommand). Importing this package does not import torch: the functions that need
it import it when called.
"""

from nmt.export.run import ExportError, ExportReport, export_run, load_checkpoint

__all__ = ["ExportError", "ExportReport", "export_run", "load_checkpoint"]
