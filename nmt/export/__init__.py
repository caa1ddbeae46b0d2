"""ONNX export of a trained run: encoder.onnx + decoder_step.onnx (fp32 and int8), with a
parity check against PyTorch that fails the export when it does not hold.

Entry points: `export_run(run_dir, out_dir, load_checkpoint=..., ...) -> ExportReport` (raises
ExportError), and `nmt export RUN_DIR OUT_DIR` (`nmt.export.cli.add_arguments` and `run`,
registered by `training.commands`, which supplies the checkpoint reader). Importing this package
does not import torch: the functions that need it import it when called.
"""

from nmt.export.run import ExportError, ExportReport, export_run

__all__ = ["ExportError", "ExportReport", "export_run"]
