"""Model code of uniad-edge: UniAD and its backbones (PyTorch), trained and exported to ONNX here."""
