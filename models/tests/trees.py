"""Small data folders in the MVTec AD layout for the tests (helpers, not tests)."""
import os

import numpy as np
from PIL import Image


def make_mvtec_tree(root, size=64):
    """Two classes of striped / checkered images; defects are bright squares with masks."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    patterns = {"stripes": (np.sin(xx / 3.0) > 0), "checker": ((xx // 8 + yy // 8) % 2 == 0)}
    for cls, pattern in patterns.items():
        def image(defect):
            img = pattern[..., None] * np.array([180, 120, 60]) + rng.integers(0, 30, (size, size, 3))
            mask = np.zeros((size, size), dtype=np.uint8)
            if defect:
                y, x = rng.integers(8, size - 24, 2)
                img[y:y + 16, x:x + 16] = [255, 255, 255]
                mask[y:y + 16, x:x + 16] = 255
            return img.clip(0, 255).astype(np.uint8), mask
        for split, defect, n in [("train/good", False, 6), ("test/good", False, 2), ("test/hole", True, 2)]:
            os.makedirs(root / cls / split, exist_ok=True)
            for i in range(n):
                img, mask = image(defect)
                Image.fromarray(img).save(root / cls / split / f"{i:03d}.png")
                if defect:
                    os.makedirs(root / cls / "ground_truth" / "hole", exist_ok=True)
                    Image.fromarray(mask).save(root / cls / "ground_truth" / "hole" / f"{i:03d}_mask.png")
