"""Real photographs shipped in Debian packages, used as the raw material of the benchmark.

Nothing is downloaded: every image comes from a file that a Debian package installs. Each source names its package
and file so that `benchmark.json` and `docs/benchmark.md` can say where a pixel came from, and so that a missing
package gives an error that says what to install.

* ``libreoffice-common`` ships the area-fill palette ``standard.sob`` (a zip) with photographic 512x512 textures under
  ``Pictures/``. Licence as Debian states it: MPL-2.0 (``/usr/share/doc/libreoffice-common/copyright``, ``Files: *``).
* ``python3-skimage`` ships ``skimage/data/{brick,grass,gravel}.png``: 512x512 greyscale photos, CC0 per
  their docstrings in ``skimage.data``; the package itself is BSD-3-Clause.
"""
from __future__ import annotations

import functools
import io
import os
import zipfile
from dataclasses import dataclass

import numpy as np
from PIL import Image

LIBREOFFICE_PALETTE = '/usr/lib/libreoffice/share/palette/standard.sob'
SKIMAGE_DATA_DIRS = ('/usr/lib/python3/dist-packages/skimage/data',)


class SourceMissingError(FileNotFoundError):
    """A source photo is not on this machine; the message names the Debian package to install."""


@dataclass(frozen=True)
class Source:
    """One photograph inside a Debian package.

    Args:
        key: short name used by the texture and object classes.
        package: Debian package that installs the file.
        file: path of the file on disk.
        member: path inside ``file`` when it is a zip archive, else None.
        licence: licence as Debian (or the upstream docstring) states it.
        avoid: boxes (x0, y0, x1, y1) that crops must not touch: things in the photo that would look like an
            anomaly in a normal image (a lone flower among leaves).
    """
    key: str
    package: str
    file: str
    member: str | None
    licence: str
    avoid: tuple[tuple[int, int, int, int], ...] = ()

    def describe(self) -> str:
        return f'{self.package}:{self.file}' + (f'!{self.member}' if self.member else '')


_LO_LICENCE = 'MPL-2.0 (Debian copyright of libreoffice-common, Files: *)'
_SK_LICENCE = 'CC0 (photo, per skimage.data docstring); package BSD-3-Clause'


def _lo(key: str, picture: str, avoid: tuple = ()) -> Source:
    return Source(key, 'libreoffice-common', LIBREOFFICE_PALETTE, f'Pictures/{picture}', _LO_LICENCE, avoid)


def _sk(key: str) -> Source:
    return Source(key, 'python3-skimage', _skimage_file(f'{key}.png'), None, _SK_LICENCE)


def _skimage_file(name: str) -> str:
    for d in SKIMAGE_DATA_DIRS:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return os.path.join(SKIMAGE_DATA_DIRS[0], name)


SOURCES: dict[str, Source] = {s.key: s for s in [
    _lo('cardboard', 'cardboard.jpg'),
    _lo('coffee', 'coffee.jpg'),
    _lo('concrete', 'concrete.jpg'),
    _lo('crumpled_paper', 'crumpled-paper.jpg'),
    _lo('fence', 'fence.jpg'),
    _lo('leaf', 'leaf.jpg', avoid=((455, 148, 512, 210),)),  # a white clover flower
    _lo('maple_leaves', 'maple-leaves.jpg'),
    _lo('stones', 'stones.jpg'),
    _lo('tiles', 'tiles.jpg', avoid=((254, 444, 322, 512),)),  # the one pure black tile
    _lo('stone', 'stone.jpg'),
    _lo('painted_white', 'painted-white.jpg'),
    _lo('texture_paper', 'texture-paper.jpg'),
    _lo('parchment_paper', 'parchment-paper.jpg'),
    _lo('rock_wall', 'rock-wall.jpg'),
    _lo('stone_wall', 'stone-wall.jpg'),
    _lo('surface', 'surface.jpg'),
    _lo('wooden_fence', 'wooden-fence.jpg'),
    _sk('brick'),
    _sk('grass'),
    _sk('gravel'),
]}


def get_source(key: str) -> Source:
    if key not in SOURCES:
        raise KeyError(f'unknown source photo {key!r}; known: {", ".join(sorted(SOURCES))}')
    return SOURCES[key]


@functools.lru_cache(maxsize=None)
def load_source(key: str) -> Image.Image:
    """Returns the photo as an RGB PIL image (greyscale photos are expanded to three equal channels).

    Raises:
        SourceMissingError: the package file is absent; the message says which package to install.
    """
    src = get_source(key)
    hint = (f'source photo {key!r} needs {src.describe()}; install the Debian package with '
            f'`apt-get install {src.package}` (scripts/setup.sh lists it)')
    if not os.path.exists(src.file):
        raise SourceMissingError(hint)
    if src.member is None:
        img = Image.open(src.file)
    else:
        try:
            with zipfile.ZipFile(src.file) as z:
                data = z.read(src.member)
        except KeyError as e:
            raise SourceMissingError(f'{hint} ({src.member} is not in {src.file}: another package version?)') from e
        img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert('RGB')


def load_source_array(key: str) -> np.ndarray:
    """The photo as float32 HxWx3 in [0, 1]."""
    return np.asarray(load_source(key), dtype=np.float32) / 255.0
