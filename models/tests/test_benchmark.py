"""Tests of the benchmark builder (models/benchmark): layout, determinism, masks, disjoint crops, counts."""
import filecmp
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from models.benchmark import sources
from models.benchmark.build import CLASSES, SMALL, build, main, render_item
from models.benchmark.defects import DEFECT_KINDS
from models.benchmark.textures import TEXTURE_CLASSES, boxes_overlap, split_region

SUBSET = ['coffee', 'washer', 'label']


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('bench') / 'small')
    summary = build(out, train_n=SMALL['train'], test_n=SMALL['test'], seed=0, progress=False)
    return out, summary


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _png(path):
    return np.asarray(Image.open(path))


def test_should_have_at_least_ten_classes_with_eight_textures_and_two_objects():
    kinds = [c.kind for c in CLASSES.values()]
    assert kinds.count('texture') >= 8 and kinds.count('object') >= 2
    assert len(DEFECT_KINDS) >= 5


def test_should_give_byte_identical_files_for_the_same_seed_even_for_a_subset_of_classes(small, tmp_path):
    out, _ = small
    again = str(tmp_path / 'again')
    build(again, classes=SUBSET, train_n=SMALL['train'], test_n=SMALL['test'], seed=0, progress=False)
    for name in SUBSET:
        files = _files(os.path.join(out, name))
        assert files == _files(os.path.join(again, name))
        _, mismatch, errors = filecmp.cmpfiles(os.path.join(out, name), os.path.join(again, name), files, shallow=False)
        assert mismatch == [] and errors == []


def test_should_give_different_images_for_another_seed(small, tmp_path):
    out, _ = small
    other = str(tmp_path / 'other')
    build(other, classes=['coffee'], train_n=1, test_n=0, seed=1, progress=False)
    a = os.path.join(out, 'coffee', 'train', 'good', '000.png')
    assert not filecmp.cmp(a, os.path.join(other, 'coffee', 'train', 'good', '000.png'), shallow=False)


def test_should_follow_the_mvtec_ad_layout(small):
    out, summary = small
    assert sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))) == sorted(CLASSES)
    for name in CLASSES:
        root = os.path.join(out, name)
        assert sorted(os.listdir(root)) == ['ground_truth', 'test', 'train']
        assert os.listdir(os.path.join(root, 'train')) == ['good']
        kinds = sorted(os.listdir(os.path.join(root, 'test')))
        assert kinds == sorted(['good', *DEFECT_KINDS])
        assert sorted(os.listdir(os.path.join(root, 'ground_truth'))) == sorted(DEFECT_KINDS)
        for kind in DEFECT_KINDS:
            images = sorted(os.listdir(os.path.join(root, 'test', kind)))
            masks = sorted(os.listdir(os.path.join(root, 'ground_truth', kind)))
            assert masks == [f.replace('.png', '_mask.png') for f in images]
        for f in _files(root):
            assert f.endswith('.png')
            img = Image.open(os.path.join(root, f))
            assert img.size == (224, 224)
            assert img.mode == ('L' if f.startswith('ground_truth') else 'RGB')
    assert summary['defect_kinds'] == list(DEFECT_KINDS)
    with open(os.path.join(out, 'benchmark.json')) as f:
        assert json.load(f) == summary


def test_should_write_the_requested_counts_with_every_defect_kind(small):
    out, summary = small
    for entry in summary['classes']:
        root = os.path.join(out, entry['name'])
        assert len(os.listdir(os.path.join(root, 'train', 'good'))) == SMALL['train'] == entry['counts']['train_good']
        good = len(os.listdir(os.path.join(root, 'test', 'good')))
        bad = sum(len(os.listdir(os.path.join(root, 'test', k))) for k in DEFECT_KINDS)
        assert good + bad == SMALL['test'] and good == SMALL['test'] // 2
        assert entry['counts']['test_defective'] == {k: 1 for k in DEFECT_KINDS}


def test_should_split_odd_test_counts_and_cycle_defect_kinds(tmp_path):
    summary = build(str(tmp_path / 'odd'), classes=['tiles'], train_n=2, test_n=13, progress=False)
    counts = summary['classes'][0]['counts']
    assert counts['train_good'] == 2 and counts['test_good'] == 6
    assert counts['test_defective'] == {'scratch': 2, 'stain': 2, 'hole': 1, 'cut_paste': 1, 'crack': 1}


def test_should_write_binary_masks_that_are_nonzero_exactly_for_defective_images(small):
    out, _ = small
    for name in CLASSES:
        root = os.path.join(out, name)
        for kind in DEFECT_KINDS:
            for f in os.listdir(os.path.join(root, 'test', kind)):
                m = _png(os.path.join(root, 'ground_truth', kind, f.replace('.png', '_mask.png')))
                assert set(np.unique(m)) == {0, 255}, (name, kind, f)
        assert not any('good' in f for f in _files(os.path.join(root, 'ground_truth')))


@pytest.mark.parametrize('name', sorted(CLASSES))
def test_should_change_pixels_inside_the_mask_only(small, name):
    """Regenerates each defective image's normal version: what changed must lie in the (1 px dilated) mask."""
    out, _ = small
    for kind in DEFECT_KINDS:
        sample, _, _ = render_item(CLASSES[name], 'test', kind, 0, 224, 0)
        clean = np.clip(sample.image * 255 + 0.5, 0, 255).astype(np.uint8).astype(int)
        bad = _png(os.path.join(out, name, 'test', kind, '000.png')).astype(int)
        mask = _png(os.path.join(out, name, 'ground_truth', kind, '000_mask.png')) > 0
        diff = np.abs(bad - clean).max(-1)
        changed = diff > 8
        inside = (changed & ndimage.binary_dilation(mask, iterations=1)).sum() / max(1, changed.sum())
        assert inside >= 0.9, (name, kind, inside)
        assert diff[mask].mean() >= 0.04 * 255 - 1, (name, kind, 'defect too faint')
        if CLASSES[name].kind == 'object':
            assert (mask & ~sample.region).sum() == 0, (name, kind, 'defect off the part')


def test_should_crop_train_and_test_from_disjoint_regions_of_each_photo(small):
    out, _ = small
    with open(os.path.join(out, 'crops.json')) as f:
        crops = json.load(f)
    for name, images in crops.items():
        by_split = {'train': {}, 'test': {}}
        for rel, boxes in images.items():
            for key, bs in boxes.items():
                by_split[rel.split('/')[0]].setdefault(key, []).extend(bs)
        assert by_split['train'] and by_split['test']
        for key, train_boxes in by_split['train'].items():
            photo = sources.load_source(key)
            for b in train_boxes + by_split['test'].get(key, []):  # never wraps: inside the photo
                assert 0 <= b[0] < b[2] <= photo.width and 0 <= b[1] < b[3] <= photo.height, (name, key, b)
            for a in train_boxes:
                for b in by_split['test'].get(key, []):
                    assert not boxes_overlap(a, b), (name, key, a, b)


def test_should_keep_many_random_crops_inside_their_split_region():
    from models.benchmark.seeding import rng_for
    from models.benchmark.textures import crop_photo
    for cls in TEXTURE_CLASSES[:3]:
        photo = sources.load_source(cls.source)
        regions = {s: split_region(photo.width, photo.height, s) for s in ('train', 'test')}
        assert not boxes_overlap(regions['train'], regions['test'])
        for split, r in regions.items():
            for i in range(50):
                _, b = crop_photo(cls.source, split, rng_for(0, 'crop', i), 224, max_rotation=20.0)
                assert r[0] <= b[0] and r[1] <= b[1] and b[2] <= r[2] and b[3] <= r[3], (cls.name, split, b, r)


def test_should_name_the_debian_package_when_a_photo_is_missing(monkeypatch):
    fake = sources.Source('nowhere', 'libreoffice-common', '/nonexistent/standard.sob', 'Pictures/x.jpg', 'MPL-2.0')
    monkeypatch.setitem(sources.SOURCES, 'nowhere', fake)
    with pytest.raises(sources.SourceMissingError, match='apt-get install libreoffice-common'):
        sources.load_source('nowhere')


def test_should_refuse_unknown_classes_and_foreign_folders(tmp_path, capsys):
    assert main(['--out', str(tmp_path / 'x'), '--classes', 'nope']) == 2
    assert 'unknown class' in capsys.readouterr().err
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'precious.txt').write_text('keep me')
    assert main(['--out', str(tmp_path / 'full'), '--small', '--classes', 'tiles']) == 2
    assert (tmp_path / 'full' / 'precious.txt').read_text() == 'keep me'


def test_should_never_crop_the_parts_of_a_photo_marked_to_avoid():
    from models.benchmark.seeding import rng_for
    from models.benchmark.textures import crop_photo
    avoid = sources.get_source('leaf').avoid
    assert avoid
    for split in ('train', 'test'):
        for i in range(100):
            _, b = crop_photo('leaf', split, rng_for(0, 'avoid', i), 224)
            assert not any(boxes_overlap(b, a) for a in avoid)


@pytest.mark.skipif(shutil.which('gst-launch-1.0') is None, reason='needs gstreamer1.0-tools')
def test_should_write_one_decodable_station_video_per_product_with_every_frame_one_part(small, tmp_path):
    from models.benchmark.video import make_line
    out, _ = small
    gt = str(tmp_path / 'line.json')
    truth = make_line(out, str(tmp_path / 'line'), gt, parts_per_station=4, hold=3, fps=5, seed=0,
                      classes=['coffee', 'washer'])
    assert [s['product'] for s in truth['stations']] == ['coffee', 'washer']
    for station in truth['stations']:
        mp4 = os.path.join(tmp_path, station['video'])
        raw = str(tmp_path / f'{station["product"]}.rgb')
        subprocess.run(['gst-launch-1.0', '-q', 'filesrc', f'location={mp4}', '!', 'qtdemux', '!', 'h264parse', '!',
                        'avdec_h264', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'filesink',
                        f'location={raw}'], check=True, timeout=60)
        frames = np.fromfile(raw, np.uint8).reshape(-1, 224, 224, 3)
        assert len(frames) == station['frames_total'] == 4 * 3
        assert sum(p['defective'] for p in station['parts']) == 2
        assert {p['class'] for p in station['parts']} == {station['product']}
        for p in station['parts']:  # every frame of a part is its test image, up to H.264 loss
            ref = _png(os.path.join(out, p['image'])).astype(float)
            for f in range(p['first_frame'], p['last_frame'] + 1):
                assert np.abs(frames[f] - ref).mean() < 8, (station['product'], p, f)
    with open(gt) as f:
        assert json.load(f)['stations'][0]['parts'][0]['image'] == truth['stations'][0]['parts'][0]['image']


def test_should_build_the_same_images_from_an_exported_photo_folder(small, tmp_path):
    out, _ = small
    photos = str(tmp_path / 'photos')
    manifest = sources.export_photos(photos)
    assert set(manifest['photos']) == set(sources.SOURCES)
    assert sum(os.path.getsize(os.path.join(photos, f)) for f in os.listdir(photos)) < 4e6
    again = str(tmp_path / 'again')
    try:
        sources.use_photo_folder(photos)
        build(again, classes=['coffee', 'label'], train_n=SMALL['train'], test_n=SMALL['test'], seed=0, progress=False)
    finally:
        sources.use_photo_folder(None)
    for name in ('coffee', 'label'):
        files = _files(os.path.join(out, name))
        _, mismatch, errors = filecmp.cmpfiles(os.path.join(out, name), os.path.join(again, name), files, shallow=False)
        assert mismatch == [] and errors == []
    with pytest.raises(sources.SourceMissingError, match='--export'):
        sources.use_photo_folder(str(tmp_path))
