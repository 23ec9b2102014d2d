"""Tiles as the runtime cuts them (tiles.py, twin of src/tiles/): coverage, the model's score rule on a stitched map,
tiled training data and tiled calibration. Parity with the TypeScript side is test/tiles/parity.test.ts."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from models.uniad.__main__ import main
from models.uniad.configs import get_preset
from models.uniad.data import ImageRecord, TileDataset, image_tiles
from models.uniad.model import UniAD
from models.uniad.tiles import TileSpec, pooled_max, region_image, region_tiles, scaled_size, stitch_max, tile_grid, tile_origins

from models.tests.test_train import make_mvtec_tree

torch.set_num_threads(2)


@pytest.mark.parametrize("length,tile,overlap", [(224, 224, 32), (225, 224, 32), (992, 224, 32), (2448, 224, 32),
                                                 (2048, 224, 0), (1000, 64, 16), (300, 224, 100)])
def test_tiles_cover_the_region_with_at_least_the_overlap(length, tile, overlap):
    origins = tile_origins(length, tile, overlap)
    assert origins[0] == 0 and origins[-1] + tile == length
    assert all(b - a <= tile - overlap for a, b in zip(origins, origins[1:]))  # each pair overlaps by >= overlap
    assert len(origins) == 1 or len(tile_origins(length, tile, overlap)) == -(-(length - overlap) // (tile - overlap))


def test_a_region_smaller_than_a_tile_or_an_overlap_as_large_is_refused():
    with pytest.raises(ValueError, match="cannot hold a tile"):
        tile_origins(200, 224, 32)
    with pytest.raises(ValueError, match="overlap"):
        tile_origins(500, 224, 224)


def test_the_score_rule_is_the_models_average_pool_maximum():
    rng = np.random.default_rng(1)
    for h, w, k in [(224, 224, 16), (608, 992, 16), (64, 64, 1), (50, 70, 7)]:
        m = rng.random((h, w), dtype=np.float32) * 10
        want = F.avg_pool2d(torch.from_numpy(m)[None, None], k, stride=1).max().item()
        assert pooled_max(m, k) == pytest.approx(want, rel=1e-5)


def test_a_region_of_one_tile_scores_what_the_model_scores():
    torch.manual_seed(0)
    model = UniAD(get_preset("tiny")).eval()
    size = model.cfg.image_size
    image = torch.randint(0, 256, (1, size, size, 3), dtype=torch.uint8)
    with torch.no_grad():
        score, anomaly_map = model(image)
    stitched = stitch_max(size, size, [(0, 0, size, size)], [anomaly_map[0, 0].numpy()])
    assert pooled_max(stitched, model.cfg.score_pool) == pytest.approx(score.item(), rel=1e-5)


def test_stitching_keeps_the_higher_value_where_tiles_overlap():
    a = np.zeros((4, 4), np.float32)
    b = np.zeros((4, 4), np.float32)
    a[:, 3] = 1.0  # the defect at the left tile's right edge, weakly seen
    b[:, 1] = 5.0  # the same pixels, two columns into the right tile, seen whole
    out = stitch_max(6, 4, [(0, 0, 4, 4), (2, 0, 4, 4)], [a, b])
    assert out[:, 3].tolist() == [5.0] * 4 and np.isfinite(out).all()


def test_region_tiles_crop_scale_and_cut_as_the_runtime_does(tmp_path):
    rng = np.random.default_rng(2)
    photo = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    spec = TileSpec(scale=0.5, overlap=8, region=(10, 20, 300, 200))
    region = np.asarray(region_image(photo, spec))
    assert region.shape == (100, 150, 3) and scaled_size(300, 200, 0.5) == (150, 100)
    tiles = region_tiles(photo, spec, (64, 64))
    grid = tile_grid(150, 100, 64, 64, 8)
    assert len(tiles) == len(grid) == 6
    for (x, y, w, h), t in zip(grid, tiles):
        assert np.array_equal(t, region[y:y + h, x:x + w])
    whole = region_tiles(photo, TileSpec(scale=1.0, overlap=0), (100, 100))
    assert np.array_equal(whole[0], np.asarray(photo)[:100, :100])  # scale 1: camera pixels, untouched


def test_the_training_data_loader_serves_each_image_s_tiles_in_order(tmp_path):
    rng = np.random.default_rng(3)
    paths = []
    for i, (w, h) in enumerate([(130, 70), (64, 64)]):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(paths[-1])
    records = [ImageRecord(p, "c", 0) for p in paths]
    spec = TileSpec(scale=1.0, overlap=4)
    ds = TileDataset(records, 64, spec)
    assert len(ds) == len(image_tiles(records[0], 64, spec)) + 1 == 3 * 2 + 1
    with Image.open(paths[0]) as im:
        want = region_tiles(im, spec, (64, 64))
    for k in range(6):
        assert torch.equal(ds[k], torch.from_numpy(want[k]))
    assert ds[6].shape == (64, 64, 3)


def test_cli_trains_and_calibrates_on_tiles(tmp_path, capsys):
    data, run = tmp_path / "data", tmp_path / "run"
    make_mvtec_tree(data, size=100)  # 100 px images at scale 1: 2 x 2 tiles of the tiny preset's 64 px
    common = ["--threads", "2", "--device", "cpu"]
    tiles = ["--tile-scale", "1", "--tile-overlap", "16"]
    assert main(common + ["train", "--data", str(data), "--out", str(run), "--preset", "tiny", "--batch-size", "4",
                          "--epochs", "1", "--checkpoint-every", "1", "--allow-random-backbone"] + tiles) == 0
    ckpt = torch.load(run / "last.pt", map_location="cpu")
    assert ckpt["meta"]["data"]["tiles"] == {"scale": 1.0, "overlap": 16, "region": None, "count": 12 * 4}
    calib = tmp_path / "calib.json"
    assert main(common + ["calibrate", "--checkpoint", str(run / "last.pt"), "--data", str(data), "--out", str(calib)]
                + tiles) == 0
    stats = json.loads(calib.read_text())["scoreStats"]
    assert {c: s["count"] for c, s in stats.items()} == {"checker": 6, "stripes": 6}  # one score an image, not a tile
