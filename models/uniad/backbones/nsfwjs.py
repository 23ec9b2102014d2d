"""Convert the Keras MobileNetV2 bundled in the npm package nsfwjs (MIT) into a PyTorch state dict.

The package ships the model as two browserify bundles under ``dist/models/mobilenet_v2/``:

* ``model.min.js`` exports a JavaScript object literal ``{modelTopology, weightsManifest}`` (TF.js LayersModel JSON,
  written as JS: unquoted keys, ``!0``/``!1`` for booleans, ``.5`` numbers);
* ``group1-shard1of1.min.js`` exports one base64 string: the weight bytes, one uint8 per value, tensors concatenated
  in manifest order. Each manifest entry carries ``quantization: {min, scale, dtype: 'uint8'}``; TF.js restores
  ``float32(q * scale + min)`` computed in double precision, which ``dequantize`` reproduces bit for bit.

``convert`` parses both (no JavaScript is run), checks the topology layer for layer against
``mobilenet_v2.LAYERS``, maps every Keras weight onto ``MobileNetV2``'s state dict (``checkpoint_filter_fn``) and
fails if any weight is left over or any parameter unfilled. The output file is
``{'state_dict': ..., 'provenance': ...}``; ``provenance`` (package, version, sha256 of both bundles, license, how
the weights were trained) is small and JSON-able, for the model sidecar.

CLI (repo root as cwd)::

    /usr/bin/python3 -m models.uniad.backbones.nsfwjs --out models/.cache/mobilenet_v2_nsfwjs.pt
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from .mobilenet_v2 import LAYERS, MobileNetV2, load_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CACHE_DIR = REPO_ROOT / 'models' / '.cache'
WEIGHTS_NAME = 'mobilenet_v2_nsfwjs.pt'
PACKAGE_ENV = 'UNIAD_NSFWJS_DIR'
MODEL_JS = 'dist/models/mobilenet_v2/model.min.js'
SHARD_JS = 'dist/models/mobilenet_v2/group1-shard1of1.min.js'


class ConversionError(ValueError):
    """The package's files are not the MobileNetV2 this converter knows; the message names file and value."""


# ---------------------------------------------------------------------------------------------------------------
# Reading the bundles

def package_dir(path: Optional[str] = None) -> Path:
    """The nsfwjs package: ``path``, else $UNIAD_NSFWJS_DIR, else the repo's ``node_modules/nsfwjs``."""
    d = Path(path or os.environ.get(PACKAGE_ENV) or REPO_ROOT / 'node_modules' / 'nsfwjs')
    if not (d / MODEL_JS).is_file() or not (d / SHARD_JS).is_file():
        raise FileNotFoundError(
            f'nsfwjs package at {str(d)!r} lacks {MODEL_JS} / {SHARD_JS}: run `npm ci` in the repo root, or pass '
            f'--package / set {PACKAGE_ENV} to a directory holding nsfwjs 4.x')
    return d


class _JsLiteral:
    """Recursive-descent parser for the JavaScript object literals a minifier writes (a JSON superset)."""

    _NUMBER = re.compile(r'-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?')
    _IDENT = re.compile(r'[A-Za-z_$][A-Za-z0-9_$]*')
    _WORDS = {'!0': True, '!1': False, 'true': True, 'false': False, 'null': None, 'void 0': None}

    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos

    def _fail(self, what: str) -> ConversionError:
        return ConversionError(f'JS literal: expected {what} at offset {self.pos}: {self.text[self.pos:self.pos + 40]!r}')

    def value(self) -> Any:
        c = self.text[self.pos]
        if c == '{':
            return self._object()
        if c == '[':
            return self._array()
        if c == '"' or c == "'":
            return self._string()
        for word, v in self._WORDS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return v
        m = self._NUMBER.match(self.text, self.pos)
        if not m:
            raise self._fail('a value')
        self.pos = m.end()
        s = m.group()
        return float(s) if any(ch in s for ch in '.eE') else int(s)

    def _expect(self, ch: str) -> None:
        if self.text[self.pos] != ch:
            raise self._fail(repr(ch))
        self.pos += 1

    def _string(self) -> str:
        quote = self.text[self.pos]
        end = self.pos + 1
        while self.text[end] != quote:
            end += 2 if self.text[end] == '\\' else 1
        raw = self.text[self.pos + 1:end]
        self.pos = end + 1
        return json.loads('"' + raw.replace("\\'", "'") + '"') if '\\' in raw else raw

    def _object(self) -> dict:
        self._expect('{')
        out = {}
        while self.text[self.pos] != '}':
            if self.text[self.pos] in '"\'':
                key = self._string()
            else:
                m = self._IDENT.match(self.text, self.pos) or self._NUMBER.match(self.text, self.pos)
                if not m:
                    raise self._fail('an object key')
                key, self.pos = m.group(), m.end()
            self._expect(':')
            out[key] = self.value()
            if self.text[self.pos] == ',':
                self.pos += 1
        self._expect('}')
        return out

    def _array(self) -> list:
        self._expect('[')
        out = []
        while self.text[self.pos] != ']':
            out.append(self.value())
            if self.text[self.pos] == ',':
                self.pos += 1
        self._expect(']')
        return out


def _exported_value(path: Path) -> Any:
    """The value a browserify bundle assigns to ``module.exports`` (the first ``<name>.exports=`` in module 1)."""
    text = path.read_text(encoding='utf-8')
    m = re.search(r'\{1:\[function\(\w+,(\w+),\w+\)\{\1\.exports=', text)
    if not m:
        raise ConversionError(f'{path}: no browserify module 1 with `exports=`; not an nsfwjs 4.x model bundle?')
    return _JsLiteral(text, m.end()).value()


def read_model(pkg: Path) -> tuple:
    """(topology dict, weight specs list, raw weight bytes) from the package's two bundles."""
    model = _exported_value(pkg / MODEL_JS)
    shard = _exported_value(pkg / SHARD_JS)
    if not isinstance(model, dict) or 'modelTopology' not in model or not isinstance(shard, str):
        raise ConversionError(f'{pkg / MODEL_JS}: expected {{modelTopology, weightsManifest}} and a base64 shard')
    manifest = model['weightsManifest']
    if len(manifest) != 1 or manifest[0]['paths'] != ['group1-shard1of1']:
        raise ConversionError(f'{pkg / MODEL_JS}: expected one weight group in group1-shard1of1, got {manifest!r:.200}')
    return model['modelTopology'], manifest[0]['weights'], base64.b64decode(shard, validate=True)


def dequantize(specs: list, data: bytes) -> dict:
    """Keras weight name -> float32 array, exactly as TF.js decodes uint8 affine-quantized weights."""
    out, offset = {}, 0
    for spec in specs:
        q = spec.get('quantization') or {}
        if spec['dtype'] != 'float32' or q.get('dtype') != 'uint8':
            raise ConversionError(f'weight {spec["name"]!r}: dtype {spec["dtype"]!r} quantization {q!r}; '
                                  'only float32 stored as uint8 affine is handled')
        n = int(np.prod(spec['shape']))
        if offset + n > len(data):
            raise ConversionError(f'weight {spec["name"]!r} runs past the end of the {len(data)}-byte shard')
        raw = np.frombuffer(data, np.uint8, n, offset).astype(np.float64)
        # TF.js: values[i] = v * scale + min, in doubles, stored into a Float32Array (round to nearest).
        out[spec['name']] = (raw * q['scale'] + q['min']).astype(np.float32).reshape(spec['shape'])
        offset += n
    if offset != len(data):
        raise ConversionError(f'shard has {len(data)} bytes but the manifest describes {offset}')
    return out


# ---------------------------------------------------------------------------------------------------------------
# Checking the topology and mapping names

def check_topology(topology: dict) -> None:
    """Fail unless the Keras graph is layer for layer the one ``MobileNetV2`` implements (names, kinds, wiring,
    channels, kernels, strides, padding, BN epsilon, ReLU6, activations)."""
    keras = topology['model_config']['config']['layers']
    if keras[0]['class_name'] != 'InputLayer' or keras[0]['config']['batch_input_shape'] != [None, 224, 224, 3]:
        raise ConversionError(f'topology input is {keras[0]!r:.200}; expected a 224x224x3 InputLayer')
    if [k['name'] for k in keras[1:]] != [layer.name for layer in LAYERS]:
        ours = [layer.name for layer in LAYERS]
        theirs = [k['name'] for k in keras[1:]]
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        raise ConversionError(f'topology layer {first} is {theirs[first:first + 1]!r}, port has {ours[first:first + 1]!r}'
                              f' ({len(theirs)} vs {len(ours)} layers)')
    for k, layer in zip(keras[1:], LAYERS):
        c = k['config']
        inputs = tuple(node[0] for node in k['inbound_nodes'][0])
        problems = []
        if k['class_name'] != layer.kind:
            problems.append(f'class {k["class_name"]} != {layer.kind}')
        if inputs != layer.inputs:
            problems.append(f'inputs {inputs} != {layer.inputs}')
        if layer.kind in ('Conv2D', 'DepthwiseConv2D', 'AveragePooling2D'):
            size = c.get('kernel_size', c.get('pool_size'))
            if size != [layer.kernel] * 2 or c['strides'] != [layer.step] * 2:
                problems.append(f'kernel {size} stride {c["strides"]}')
            # 1x1: 'same' and 'valid' agree. Else stride 2 (after ZeroPadding2D) and pooling are 'valid' and the
            # stride-1 3x3 convolutions 'same' (symmetric for odd kernels), which is what _make_module builds.
            want = {'same', 'valid'} if layer.kernel == 1 else \
                {'valid'} if layer.step != 1 or layer.kind == 'AveragePooling2D' else {'same'}
            if c['padding'] not in want:
                problems.append(f'padding {c["padding"]!r} not in {sorted(want)}')
            if c.get('dilation_rate', [1, 1]) != [1, 1]:
                problems.append(f'dilation {c["dilation_rate"]}')
        if layer.kind == 'Conv2D' and (c['filters'] != layer.channels or c['use_bias'] or c['activation'] != 'linear'):
            problems.append(f'filters {c["filters"]} bias {c["use_bias"]} activation {c["activation"]}')
        if layer.kind == 'DepthwiseConv2D' and (c['depth_multiplier'] != 1 or c['use_bias'] or c['activation'] != 'linear'):
            problems.append(f'depth_multiplier {c["depth_multiplier"]} bias {c["use_bias"]}')
        if layer.kind == 'ZeroPadding2D' and c['padding'] != [[0, 1], [0, 1]]:
            problems.append(f'padding {c["padding"]}')
        if layer.kind == 'BatchNormalization' and (c['epsilon'] != 0.001 or not c['center'] or not c['scale']
                                                   or c['axis'] not in (-1, 3)):
            problems.append(f'epsilon {c["epsilon"]} center {c["center"]} scale {c["scale"]} axis {c["axis"]}')
        if layer.kind == 'ReLU' and (c['max_value'] != 6 or c.get('threshold', 0) != 0 or c.get('negative_slope', 0) != 0):
            problems.append(f'ReLU max {c["max_value"]} threshold {c.get("threshold")} slope {c.get("negative_slope")}')
        if layer.kind == 'Dense':
            act = 'softmax' if layer.name == LAYERS[-1].name else 'relu'
            if c['units'] != layer.channels or c['activation'] != act or not c['use_bias']:
                problems.append(f'units {c["units"]} activation {c["activation"]}')
        if c.get('data_format', 'channels_last') != 'channels_last':
            problems.append(f'data_format {c["data_format"]}')
        if problems:
            raise ConversionError(f'topology layer {layer.name!r} differs from the port: {"; ".join(problems)}')


# Keras weight suffix -> (PyTorch parameter, how to reorder the Keras array).
_PARAMS = {
    'kernel': 'weight',            # Conv2D [kh, kw, in, out] -> [out, in, kh, kw]; Dense [in, out] -> [out, in]
    'depthwise_kernel': 'weight',  # DepthwiseConv2D [kh, kw, c, 1] -> [c, 1, kh, kw]
    'bias': 'bias',
    'gamma': 'weight',
    'beta': 'bias',
    'moving_mean': 'running_mean',
    'moving_variance': 'running_var',
}


def checkpoint_filter_fn(weights: dict) -> dict:
    """Keras weight names (``<layer>/<param>``) and layouts -> ``MobileNetV2`` state dict keys and layouts."""
    out = {}
    for name, w in weights.items():
        layer, _, param = name.partition('/')
        if param not in _PARAMS or '/' in param:
            raise ConversionError(f'Keras weight {name!r}: unknown parameter {param!r}')
        if param == 'kernel' and w.ndim == 4:
            w = w.transpose(3, 2, 0, 1)      # HWIO -> OIHW
        elif param == 'depthwise_kernel':
            w = w.transpose(2, 3, 0, 1)      # HW,C,M -> C*M(=C),1,H,W (M = 1; with M > 1 Keras's order is c*M+m)
        elif param == 'kernel' and w.ndim == 2:
            w = w.T                          # Dense (in, out) -> Linear (out, in)
        out[f'layers.{layer}.{_PARAMS[param]}'] = torch.from_numpy(np.ascontiguousarray(w))
    return out


def build_state_dict(weights: dict) -> dict:
    """Full-network state dict from Keras weights; fails on any weight left over or parameter left unfilled."""
    mapped = checkpoint_filter_fn(weights)
    own = MobileNetV2(taps=[LAYERS[-1].name]).state_dict()
    extra = sorted(set(mapped) - set(own))
    unfilled = sorted(k for k in own if k not in mapped and not k.endswith('num_batches_tracked'))
    if extra or unfilled:
        raise ConversionError(f'Keras weights left over: {extra[:5]!r}; parameters not filled: {unfilled[:5]!r}')
    for k, v in mapped.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise ConversionError(f'{k}: Keras shape {tuple(v.shape)} != port shape {tuple(own[k].shape)}')
    return {k: mapped.get(k, own[k]) for k in own}


# ---------------------------------------------------------------------------------------------------------------
# Provenance and files

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(pkg: Path) -> dict:
    """Where the weights come from, small and JSON-able: the sidecar carries it next to the exported model."""
    meta = json.loads((pkg / 'package.json').read_text(encoding='utf-8'))
    return {
        'network': 'Keras MobileNetV2 alpha 1.0, 224x224 (keras 2.2.4), with nsfwjs classification head',
        'package': meta.get('name', 'nsfwjs'),
        'version': meta.get('version', 'unknown'),
        'license': meta.get('license', 'MIT'),
        'files': {MODEL_JS: _sha256(pkg / MODEL_JS), SHARD_JS: _sha256(pkg / SHARD_JS)},
        'training': 'ImageNet-initialised, fine-tuned by nsfwjs on its own task, 8-bit affine quantized',
        'input_scaling': 'RGB x/255',
        'converter': 'models.uniad.backbones.nsfwjs',
    }


def convert(out: str, package: Optional[str] = None) -> dict:
    """Convert the package's MobileNetV2 into ``out`` (written atomically); returns the provenance dict."""
    pkg = package_dir(package)
    topology, specs, data = read_model(pkg)
    check_topology(topology)
    state = build_state_dict(dequantize(specs, data))
    prov = provenance(pkg)
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: concurrent converters or readers never see half a file.
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + '.', suffix='.tmp', dir=out_path.parent)
    os.close(fd)
    try:
        torch.save({'state_dict': state, 'provenance': prov}, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the cache is shared like any build output
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return prov


def ensure_weights(cache_dir: Optional[str] = None, package: Optional[str] = None) -> str:
    """Path of the converted weights in ``cache_dir`` (default ``models/.cache``), converting when absent or when
    the installed package's files no longer match the recorded sha256. Without the package, a cached file is used."""
    path = Path(cache_dir) if cache_dir else DEFAULT_CACHE_DIR
    path = path / WEIGHTS_NAME
    if path.is_file():
        try:
            pkg = package_dir(package)
        except FileNotFoundError:
            return str(path)
        _, prov = load_checkpoint(str(path))
        if prov and prov.get('files') == {MODEL_JS: _sha256(pkg / MODEL_JS), SHARD_JS: _sha256(pkg / SHARD_JS)}:
            return str(path)
    convert(str(path), package)
    return str(path)


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(prog='python -m models.uniad.backbones.nsfwjs', description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(DEFAULT_CACHE_DIR / WEIGHTS_NAME), help='weights file to write (.pt)')
    ap.add_argument('--package', default=None, help=f'nsfwjs package dir (default ${PACKAGE_ENV} or node_modules/nsfwjs)')
    args = ap.parse_args(argv)
    try:
        prov = convert(args.out, args.package)
    except (ConversionError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(json.dumps({'out': args.out, 'provenance': prov}, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
