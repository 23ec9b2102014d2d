"""Training sees frames as the runtime does: letterboxed, with GStreamer's own geometry (src/sources/launch.ts)."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from models.uniad.data import ImageRecord, load_image, load_mask
from models.uniad.letterbox import letterbox, letterbox_geometry

SIZES = [(300, 200), (200, 301), (640, 480), (1280, 720), (224, 224), (100, 100), (223, 500), (37, 91)]


def _runtime_frame(path: str, size: int) -> np.ndarray:
    """The frame the runtime's launch string makes of an image file: decodebin ! videoscale add-borders=true."""
    raw = path + '.rgb'
    subprocess.run(['gst-launch-1.0', '-q', 'filesrc', f'location={path}', '!', 'decodebin', '!', 'videoconvert', '!',
                    'videoscale', 'add-borders=true', '!',
                    f'video/x-raw,width={size},height={size},pixel-aspect-ratio=1/1', '!', 'videoconvert', '!',
                    'video/x-raw,format=RGB', '!', 'filesink', f'location={raw}'], check=True, timeout=60)
    return np.fromfile(raw, np.uint8)[:size * size * 3].reshape(size, size, 3)


@pytest.mark.skipif(shutil.which('gst-launch-1.0') is None, reason='needs gstreamer1.0-tools (scripts/setup.sh)')
@pytest.mark.parametrize('w,h', SIZES)
def test_should_place_the_image_where_the_runtime_places_it(tmp_path, w, h):
    path = str(tmp_path / f'{w}x{h}.png')
    Image.new('RGB', (w, h), (200, 60, 40)).save(path)
    frame = _runtime_frame(path, 224)
    rows = np.nonzero(frame.max((1, 2)) > 0)[0]
    cols = np.nonzero(frame.max((0, 2)) > 0)[0]
    x, y, gw, gh = letterbox_geometry(w, h, 224, 224)
    assert (cols.min(), rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1) == (x, y, gw, gh)
    ours = load_image(path, 224)
    assert ((ours.max(-1) > 0) == (frame.max(-1) > 0)).all()
    assert np.abs(ours.astype(int) - frame.astype(int)).max() <= 3  # flat colour: only rounding differs


@pytest.mark.skipif(shutil.which('gst-launch-1.0') is None, reason='needs gstreamer1.0-tools (scripts/setup.sh)')
def test_should_scale_a_real_photo_close_to_the_runtime(tmp_path):
    rng = np.random.default_rng(0)
    smooth = np.cumsum(np.cumsum(rng.normal(0, 1, (240, 320, 3)), 0), 1)
    photo = ((smooth - smooth.min()) / np.ptp(smooth) * 255).astype(np.uint8)
    path = str(tmp_path / 'photo.png')
    Image.fromarray(photo).save(path)
    diff = np.abs(load_image(path, 224).astype(int) - _runtime_frame(path, 224).astype(int))
    assert diff.mean() < 2.0  # PIL's and GStreamer's bilinear filters differ a little, never the geometry


# Odd aspect ratios (200x301 and 1000x333 were a column or row apart between calibration and the runtime), one-pixel
# images, an exact fit, 16:9 into a square, one that truncates to the full height, and one that truncates to nothing.
EXACT_SIZES = [(200, 301), (1000, 333), (1920, 1080), (1000, 1001), (448, 448), (1, 100), (100, 1), (37, 91), (1000, 1)]


@pytest.mark.skipif(shutil.which('gst-launch-1.0') is None, reason='needs gstreamer1.0-tools (scripts/setup.sh)')
@pytest.mark.parametrize('w,h', EXACT_SIZES)
def test_should_scale_noise_to_the_same_bytes_as_the_runtime(tmp_path, w, h):
    # noise in 1..255: the worst case for rounding, and black only where the border is
    noise = np.random.default_rng(w * 7919 + h).integers(1, 256, (h, w, 3), dtype=np.uint8)
    path = str(tmp_path / f'{w}x{h}.png')
    Image.fromarray(noise).save(path)
    frame = _runtime_frame(path, 224)
    ours = load_image(path, 224)
    assert np.array_equal(ours, frame)  # GStreamer 1.22: no byte differs (PIL's bilinear was off by up to 133)
    x, y, gw, gh = letterbox_geometry(w, h, 224, 224)
    inside = np.zeros((224, 224), bool)
    inside[y:y + gh, x:x + gw] = True
    assert ((frame.max(-1) > 0) == inside).all()


def test_should_keep_square_images_as_they_are_and_scale_them_without_borders():
    img = Image.fromarray(np.arange(64 * 64 * 3, dtype=np.uint8).reshape(64, 64, 3))
    assert letterbox(img, 64, 64) is img
    assert letterbox_geometry(64, 64, 224, 224) == (0, 0, 224, 224)
    assert np.asarray(letterbox(img, 224, 224)).min(-1).max() > 0


def test_should_letterbox_masks_with_their_images(tmp_path):
    Image.new('RGB', (400, 200), (90, 90, 90)).save(tmp_path / 'i.png')
    mask = np.zeros((200, 400), np.uint8)
    mask[:, 200:] = 255
    Image.fromarray(mask).save(tmp_path / 'm.png')
    m = load_mask(ImageRecord(str(tmp_path / 'i.png'), 'x', 1, str(tmp_path / 'm.png')), 224)
    x, y, w, h = letterbox_geometry(400, 200, 224, 224)
    assert not m[:y].any() and not m[y + h:].any()
    assert m[y:y + h, 112:].all() and not m[y:y + h, :112].any()


def test_should_refuse_empty_sizes():
    with pytest.raises(ValueError, match='positive'):
        letterbox_geometry(0, 10, 224, 224)
