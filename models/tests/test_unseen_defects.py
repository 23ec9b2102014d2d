"""Tests of the second defect generator (models/benchmark/unseen_defects.py): kinds, determinism, masks, visibility,
and that it can only be used for testing."""
import filecmp
import json
import os

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from models.benchmark import unseen_defects
from models.benchmark.build import CLASSES, build as build_benchmark, render_item
from models.benchmark.defects import DEFECT_KINDS
from models.benchmark.unseen_defects import MIN_CONTRAST, UNSEEN_KINDS, build, main
from models.uniad.data import DataLayoutError, discover_classes, train_records
from models.uniad.evaluate import calibrate

SUBSET = ['coffee', 'washer', 'label']
GOOD, BAD = 2, len(UNSEEN_KINDS)  # one defect of each kind a class


@pytest.fixture(scope='module')
def unseen(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('unseen') / 'set')
    return out, build(out, SUBSET, GOOD, BAD, seed=0, progress=False)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _png(path):
    return np.asarray(Image.open(path))


def test_should_draw_only_kinds_the_benchmark_does_not():
    assert len(UNSEEN_KINDS) >= 5
    assert not set(UNSEEN_KINDS) & set(DEFECT_KINDS)
    assert set(unseen_defects.PAINTERS) == set(UNSEEN_KINDS)


def test_should_give_byte_identical_files_for_the_same_seed_and_others_for_another(unseen, tmp_path):
    out, _ = unseen
    again = str(tmp_path / 'again')
    build(again, ['washer'], GOOD, BAD, seed=0, progress=False)  # a subset of classes: the same images
    files = _files(os.path.join(out, 'washer'))
    assert files == _files(os.path.join(again, 'washer'))
    _, mismatch, errors = filecmp.cmpfiles(os.path.join(out, 'washer'), os.path.join(again, 'washer'), files,
                                           shallow=False)
    assert mismatch == [] and errors == []
    other = str(tmp_path / 'other')
    build(other, ['washer'], GOOD, BAD, seed=1, progress=False)
    for kind in UNSEEN_KINDS:
        rel = os.path.join('washer', 'test', kind, '000.png')
        assert not filecmp.cmp(os.path.join(out, rel), os.path.join(other, rel), shallow=False)
    good = os.path.join('washer', 'test', 'good', '000.png')
    assert filecmp.cmp(os.path.join(out, good), os.path.join(other, good), shallow=False)  # same benchmark images


def test_should_use_exactly_the_benchmarks_good_test_images(unseen, tmp_path):
    out, _ = unseen
    bench = str(tmp_path / 'bench')
    build_benchmark(bench, ['coffee', 'label'], train_n=1, test_n=2 * GOOD, seed=0, progress=False)
    for name in ('coffee', 'label'):
        for i in range(GOOD):
            rel = os.path.join(name, 'test', 'good', f'{i:03d}.png')
            assert filecmp.cmp(os.path.join(out, rel), os.path.join(bench, rel), shallow=False)
    with open(os.path.join(out, 'origins.json')) as f:
        origins = json.load(f)
    assert origins['label']['test/dent/000.png'] == f'label/test/good/{UNSEEN_KINDS.index("dent") % GOOD:03d}.png'


def test_should_follow_the_mvtec_layout_without_a_train_split(unseen):
    out, summary = unseen
    for name in SUBSET:
        root = os.path.join(out, name)
        assert sorted(os.listdir(root)) == ['ground_truth', 'test']
        assert sorted(os.listdir(os.path.join(root, 'test'))) == sorted(['good', *UNSEEN_KINDS])
        for kind in UNSEEN_KINDS:
            images = sorted(os.listdir(os.path.join(root, 'test', kind)))
            assert sorted(os.listdir(os.path.join(root, 'ground_truth', kind))) == [
                f.replace('.png', '_mask.png') for f in images]
    assert summary['defect_kinds'] == list(UNSEEN_KINDS)
    assert 'never train' in summary['use']
    with open(os.path.join(out, 'benchmark.json')) as f:
        assert json.load(f)['generator'] == 'models.benchmark.unseen_defects'
    with pytest.raises(FileNotFoundError, match='train/good'):
        discover_classes(out)  # training finds no class in it
    with pytest.raises(DataLayoutError, match='test-only set'):
        train_records(out, SUBSET)
    with pytest.raises(DataLayoutError, match='test-only set.*calibrate'):
        calibrate(None, out, SUBSET, split='test-good')  # refused before the model is touched


@pytest.mark.parametrize('kind', UNSEEN_KINDS)
def test_each_kind_should_be_visible_inside_its_mask_and_leave_the_rest_alone(unseen, kind):
    out, _ = unseen
    for name in SUBSET:
        j = UNSEEN_KINDS.index(kind)  # defective image j was painted on good image j % GOOD
        base = _png(os.path.join(out, name, 'test', 'good', f'{j % GOOD:03d}.png')).astype(np.float32) / 255
        img = _png(os.path.join(out, name, 'test', kind, '000.png')).astype(np.float32) / 255
        raw = _png(os.path.join(out, name, 'ground_truth', kind, '000_mask.png'))
        assert raw.shape == (224, 224) and set(np.unique(raw)) <= {0, 255}
        mask = raw > 0
        assert mask.sum() >= 24
        region = render_item(CLASSES[name], 'test', 'good', j % GOOD, 224, 0)[0].region
        assert not (mask & ~region).any(), f'{name}/{kind}: mask outside the part'
        change = np.abs(img - base).max(-1)
        assert change[mask].mean() >= MIN_CONTRAST.get(kind, 0.04) - 1 / 255, f'{name}/{kind}: not visible'
        far = ~ndimage.binary_dilation(mask, iterations=3)
        assert change[far].mean() < 0.01, f'{name}/{kind}: changes far outside its mask'


def test_should_refuse_unknown_classes_and_show_defaults_in_help(tmp_path, capsys):
    with pytest.raises(ValueError, match='unknown class'):
        build(str(tmp_path / 'x'), ['nope'], progress=False)
    with pytest.raises(SystemExit):
        main(['--help'])
    assert '(default: 30)' in capsys.readouterr().out
