"""Machine-learning models behind two ports (see ``ports``).

- ``offline.OfflinePack``: image/text encoder built only from package-shipped weights
  (EfficientNet-Lite0 labels embedded by all-MiniLM-L6-v2); the default locally and in CI.
- ``clip.ClipPack``: an Immich-compatible CLIP ONNX folder (production default on AWS).
- ``faces.YuNetSFace``: YuNet detection + 5-point alignment + SFace embeddings.

Importing this package imports nothing heavy: numpy, PIL and onnxruntime load in the
modules that need them, so ``import app`` stays light.
"""
