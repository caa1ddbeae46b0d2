"""FastAPI service over ONNX Runtime (torch-free; never imports `training`)."""
