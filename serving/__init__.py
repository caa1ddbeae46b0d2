"""The translation service: FastAPI over ONNX Runtime (see `serving.app.create_app`).

Builds on `nmt` and never imports torch or `training`."""
