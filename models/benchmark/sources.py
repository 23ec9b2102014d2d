"""Real photographs shipped in Debian packages, used as the raw material of the benchmark.

Nothing is downloaded: every image comes from a file that a Debian package installs. Each source names its package
and file so that `benchmark.json` and `docs/benchmark.md` can say where a pixel came from, and so that a missing
package gives an error that says what to install.

* ``libreoffice-common`` ships the area-fill palette ``standard.sob`` (a zip) with photographic 512x512 textures under
  ``Pictures/``. Licence as Debian states it: MPL-2.0 (``/usr/share/doc/libreoffice-common/copyright``, ``Files: *``).
* ``python3-skimage`` ships ``skimage/data/{brick,grass,gravel}.png``: 512x512 greyscale photos, CC0 per
  their docstrings in ``skimage.data``; the package itself is BSD-3-Clause.

On a machine without these packages (a rented GPU box), build from a photo folder instead: export it where the
packages are (``python -m models.benchmark.sources --export DIR``: the photos' original bytes, the font the parts
are printed with, and ``photos.json`` with provenance and hashes; about 2.5 MB), copy it over, and pass
``--photos DIR`` to the builders. The images are byte-identical to a build from the packages.

    /usr/bin/python3 -m models.benchmark.sources --export /tmp/uniad-photos
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass

import numpy as np
from PIL import Image

LIBREOFFICE_PALETTE = '/usr/lib/libreoffice/share/palette/standard.sob'
SKIMAGE_DATA_DIRS = ('/usr/lib/python3/dist-packages/skimage/data',)
FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'  # Debian package fonts-dejavu-core
FONT_PACKAGE = 'fonts-dejavu-core'
MANIFEST = 'photos.json'

# A folder exported by export_photos, used instead of the Debian packages when set (use_photo_folder).
_photo_folder: str | None = None


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


def _exported_name(src: Source) -> str:
    return src.key + os.path.splitext(src.member or src.file)[1].lower()


def _package_bytes(src: Source) -> bytes:
    """The photo file's bytes as the Debian package installs it."""
    hint = (f'source photo {src.key!r} needs {src.describe()}; install the Debian package with '
            f'`apt-get install {src.package}` (scripts/setup.sh lists it), or build with --photos DIR from a folder '
            f'exported by `python -m models.benchmark.sources --export DIR` where the packages are')
    if not os.path.exists(src.file):
        raise SourceMissingError(hint)
    if src.member is None:
        with open(src.file, 'rb') as f:
            return f.read()
    try:
        with zipfile.ZipFile(src.file) as z:
            return z.read(src.member)
    except KeyError as e:
        raise SourceMissingError(f'{hint} ({src.member} is not in {src.file}: another package version?)') from e


def _folder_bytes(folder: str, name: str) -> bytes:
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise SourceMissingError(f'{path} is missing from the photo folder; export it again with '
                                 f'`python -m models.benchmark.sources --export {folder}`')
    with open(path, 'rb') as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def load_source(key: str) -> Image.Image:
    """Returns the photo as an RGB PIL image (greyscale photos are expanded to three equal channels).

    Read from the photo folder when one is in use (use_photo_folder), else from the Debian package.

    Raises:
        SourceMissingError: the file is absent; the message says which package to install or what to export.
    """
    src = get_source(key)
    data = _folder_bytes(_photo_folder, _exported_name(src)) if _photo_folder else _package_bytes(src)
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert('RGB')


def font_file() -> str:
    """The font the parts are printed with: from the photo folder when one is in use, else Debian's."""
    path = os.path.join(_photo_folder, os.path.basename(FONT_FILE)) if _photo_folder else FONT_FILE
    if not os.path.exists(path):
        fix = (f'export the photo folder again with `python -m models.benchmark.sources --export {_photo_folder}`'
               if _photo_folder else f'install the Debian package with `apt-get install {FONT_PACKAGE}` '
                                     f'(scripts/setup.sh lists it)')
        raise SourceMissingError(f'{path} is missing; {fix}')
    return path


def use_photo_folder(folder: str | None) -> None:
    """Reads photos and the font from `folder` (made by export_photos) from now on; None: the Debian packages.

    Raises:
        SourceMissingError: `folder` has no photos.json (it was not made by export_photos).
    """
    global _photo_folder
    if folder is not None and not os.path.exists(os.path.join(folder, MANIFEST)):
        raise SourceMissingError(f'{folder} has no {MANIFEST}; make the folder with '
                                 f'`python -m models.benchmark.sources --export {folder}` where the Debian packages are')
    _photo_folder = folder
    load_source.cache_clear()


def export_photos(out: str) -> dict:
    """Copies every source photo (original bytes) and the font into `out`, with a provenance manifest; returns it."""
    os.makedirs(out, exist_ok=True)
    manifest: dict = {'note': 'source photos of models.benchmark, exported from Debian packages; build with '
                              '--photos this folder', 'photos': {}, 'font': {}}
    for key in sorted(SOURCES):
        src = SOURCES[key]
        data = _package_bytes(src)
        with open(os.path.join(out, _exported_name(src)), 'wb') as f:
            f.write(data)
        manifest['photos'][key] = {'file': _exported_name(src), 'from': src.describe(), 'licence': src.licence,
                                   'sha256': hashlib.sha256(data).hexdigest()}
    font = font_file()
    shutil.copyfile(font, os.path.join(out, os.path.basename(FONT_FILE)))
    with open(font, 'rb') as f:
        manifest['font'] = {'file': os.path.basename(FONT_FILE), 'from': f'{FONT_PACKAGE}:{FONT_FILE}',
                            'licence': 'Bitstream Vera / DejaVu (free; /usr/share/doc/fonts-dejavu-core/copyright)',
                            'sha256': hashlib.sha256(f.read()).hexdigest()}
    with open(os.path.join(out, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.sources',
                                description='Export the benchmark\'s source photos and font into a folder, for '
                                            'building on a machine without the Debian packages (--photos DIR).')
    p.add_argument('--export', required=True, metavar='DIR', help='folder to write')
    a = p.parse_args(argv)
    try:
        manifest = export_photos(a.export)
    except SourceMissingError as e:
        print(f'sources: {e}', file=sys.stderr)
        return 2
    size = sum(os.path.getsize(os.path.join(a.export, f)) for f in os.listdir(a.export))
    print(f'sources: {len(manifest["photos"])} photos and the font in {a.export} ({size / 1e6:.1f} MB)')
    return 0


def load_source_array(key: str) -> np.ndarray:
    """The photo as float32 HxWx3 in [0, 1]."""
    return np.asarray(load_source(key), dtype=np.float32) / 255.0


if __name__ == '__main__':
    sys.exit(main())
