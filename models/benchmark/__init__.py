"""A real multi-class anomaly benchmark (MVTec AD layout) built offline from photos in Debian packages.

Modules: sources (the photos), textures (texture classes, disjoint train/test regions), objects (procedural parts),
defects (defect painters with masks), build (the CLI), video (a demo conveyor video), sheet (contact sheet).
"""
