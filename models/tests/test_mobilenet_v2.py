"""MobileNetV2 port of nsfwjs's Keras network and its converter.

Numerical parity with TensorFlow.js is proven in test/models/mobilenet-parity.test.ts; these tests cover shapes,
truncation, Keras padding, the conversion's bookkeeping and ONNX export.
"""
import copy
import io
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.uniad.backbones import mobilenet_v2 as mnv2
from models.uniad.backbones import nsfwjs
from models.uniad.backbones.mobilenet_v2 import DEFAULT_TAPS, LAYERS, MobileNetV2

try:
    PACKAGE = nsfwjs.package_dir()
except FileNotFoundError:
    PACKAGE = None
needs_package = pytest.mark.skipif(PACKAGE is None, reason='node_modules/nsfwjs not installed (npm ci)')

SPATIAL_TAPS = ['Conv1_relu', 'block_1_expand_relu', 'block_2_add', 'block_3_expand_relu', 'block_5_add',
                'block_6_expand_relu', 'block_12_add', 'block_13_expand_relu', 'block_16_project_BN', 'out_relu']
# (channels, stride) per tap, from the Keras MobileNetV2 alpha 1.0 design.
EXPECTED = {'Conv1_relu': (32, 2), 'block_1_expand_relu': (96, 2), 'block_2_add': (24, 4),
            'block_3_expand_relu': (144, 4), 'block_5_add': (32, 8), 'block_6_expand_relu': (192, 8),
            'block_12_add': (96, 16), 'block_13_expand_relu': (576, 16), 'block_16_project_BN': (320, 32),
            'out_relu': (1280, 32)}


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    if PACKAGE is None:
        pytest.skip('node_modules/nsfwjs not installed (npm ci)')
    path = tmp_path_factory.mktemp('mnv2') / 'mnv2.pt'
    nsfwjs.convert(str(path))
    return str(path)


def test_default_taps_are_the_last_maps_at_strides_4_8_16():
    m = MobileNetV2()
    assert m.taps == list(DEFAULT_TAPS) == ['block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu']
    assert m.out_channels == [144, 192, 576]
    assert m.out_strides == [4, 8, 16]


@pytest.mark.parametrize('size', [(224, 224), (256, 320)])
@pytest.mark.parametrize('tap', SPATIAL_TAPS)
def test_tap_shape_channels_and_stride(tap, size):
    m = MobileNetV2(taps=[tap]).eval()
    channels, stride = EXPECTED[tap]
    assert (m.out_channels, m.out_strides) == ([channels], [stride])
    with torch.no_grad():
        (y,) = m(torch.rand(2, 3, *size))
    assert y.shape == (2, channels, size[0] // stride, size[1] // stride)
    assert torch.isfinite(y).all()


def test_taps_come_back_in_the_order_asked():
    m = MobileNetV2(taps=['block_6_expand_relu', 'Conv1_relu', 'block_2_add']).eval()
    assert m.out_channels == [192, 32, 24] and m.out_strides == [8, 2, 4]
    with torch.no_grad():
        ys = m(torch.rand(1, 3, 64, 64))
    assert [y.shape[1] for y in ys] == [192, 32, 24]


def test_network_stops_after_the_deepest_tap():
    m = MobileNetV2()
    names = list(m.layers.keys())
    assert names[-1] == 'block_13_expand_relu'
    assert 'block_13_pad' not in names and 'block_13_depthwise' not in names and 'Conv_1' not in names
    assert m.graph[-1].name == 'block_13_expand_relu'
    full = MobileNetV2(taps=['dense_3'])
    assert sum(p.numel() for p in m.parameters()) < sum(p.numel() for p in full.parameters()) / 2
    # Every built layer runs once per forward, nothing else exists to run.
    calls = []
    for name, module in m.layers.items():
        module.register_forward_hook(lambda mod, inp, out, name=name: calls.append(name))
    with torch.no_grad():
        m(torch.rand(1, 3, 32, 32))
    assert calls == names


def test_full_network_ends_in_nsfwjs_softmax():
    m = MobileNetV2(taps=['out_relu', 'dense_3']).eval()
    assert m.out_channels == [1280, 5] and m.out_strides == [32, 0]
    with torch.no_grad():
        feat, probs = m(torch.rand(1, 3, 224, 224))
    assert feat.shape == (1, 1280, 7, 7) and probs.shape == (1, 5)
    assert torch.allclose(probs.sum(), torch.tensor(1.0))


@pytest.mark.parametrize('taps', [[], ['nope'], ['block_2_add', 'block_2_add'], ['input_1']])
def test_bad_taps_are_refused_with_the_valid_names(taps):
    with pytest.raises(ValueError, match='Keras layer names'):
        MobileNetV2(taps=taps)


def test_stride2_padding_is_keras_zero_padding_bottom_right_only():
    m = MobileNetV2(taps=['Conv1']).eval()
    assert m.layers['Conv1_pad'].padding == (0, 1, 0, 1)
    assert m.layers['Conv1'].padding == (0, 0) and m.layers['Conv1'].stride == (2, 2)
    with torch.no_grad():
        m.layers['Conv1'].weight.fill_(1.0)
        (y,) = m(torch.ones(1, 3, 224, 224))
    assert y.shape[-2:] == (112, 112)
    # Top-left window lies fully inside the image (3x3x3 ones); bottom-right sees one zero row and column.
    assert y[0, 0, 0, 0].item() == 27.0 and y[0, 0, -1, -1].item() == 12.0 and y[0, 0, 0, -1].item() == 18.0
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        (y,) = m(x)
        keras = F.conv2d(F.pad(x, (0, 1, 0, 1)), m.layers['Conv1'].weight, stride=2)
        symmetric = F.conv2d(x, m.layers['Conv1'].weight, stride=2, padding=1)
    assert torch.equal(y, keras) and not torch.allclose(y, symmetric)
    # The same for every stride-2 depthwise; stride-1 depthwise is Keras 'same' (symmetric 1).
    full = MobileNetV2(taps=['out_relu'])
    for layer in LAYERS:
        if layer.kind == 'DepthwiseConv2D':
            conv = full.layers[layer.name]
            assert conv.padding == ((0, 0) if layer.step == 2 else (1, 1)), layer.name
            if layer.step == 2:
                assert LAYERS[LAYERS.index(layer) - 1].kind == 'ZeroPadding2D'


def test_batchnorm_uses_keras_epsilon_and_relu6():
    m = MobileNetV2()
    assert all(b.eps == 1e-3 for b in m.modules() if isinstance(b, torch.nn.BatchNorm2d))
    assert isinstance(m.layers['block_3_expand_relu'], torch.nn.ReLU6)


def test_random_init_is_keras_style_and_freezable():
    torch.manual_seed(0)
    m = MobileNetV2()
    conv = m.layers['block_1_expand']
    fan_in, fan_out = conv.weight.shape[1], conv.weight.shape[0]
    assert conv.weight.abs().max() <= (6 / (fan_in + fan_out)) ** 0.5  # Glorot-uniform bound
    assert torch.equal(m.layers['bn_Conv1'].running_var, torch.ones(32)) and m.provenance is None
    m.requires_grad_(False).eval()
    ys = m(torch.rand(1, 3, 64, 64))
    assert not any(y.requires_grad for y in ys)


def test_normalize_takes_uint8_or_float_nhwc_to_nchw_over_255():
    x = torch.randint(0, 256, (2, 8, 6, 3), dtype=torch.uint8)
    y = MobileNetV2.normalize(x)
    assert y.dtype == torch.float32 and y.shape == (2, 3, 8, 6)
    assert torch.equal(y, x.permute(0, 3, 1, 2).float() / 255)
    assert torch.equal(MobileNetV2.normalize(x.float()), y)


# ---------------------------------------------------------------------------------------------------------------
# Conversion

@needs_package
def test_parser_reads_the_bundle_as_node_does():
    if shutil.which('node') is None:
        pytest.skip('node not on PATH')
    js = ("const m = require(process.argv[1]); process.stdout.write(JSON.stringify(m))")
    out = subprocess.run(['node', '-e', js, str(PACKAGE / nsfwjs.MODEL_JS)], capture_output=True, check=True)
    assert nsfwjs._exported_value(PACKAGE / nsfwjs.MODEL_JS) == json.loads(out.stdout)


@needs_package
def test_topology_matches_the_port_layer_for_layer():
    topology, specs, data = nsfwjs.read_model(PACKAGE)
    nsfwjs.check_topology(topology)
    assert len(topology['model_config']['config']['layers']) == len(LAYERS) + 1  # + InputLayer
    # The check is not vacuous: symmetric padding or PyTorch's BN epsilon would be caught.
    for path, bad in [(('Conv1_pad', 'padding'), [[1, 1], [1, 1]]), (('bn_Conv1', 'epsilon'), 1e-5),
                      (('block_2_add', 'inbound_nodes'), None)]:
        broken = copy.deepcopy(topology)
        layer = next(k for k in broken['model_config']['config']['layers'] if k['name'] == path[0])
        if path[1] == 'inbound_nodes':
            layer['inbound_nodes'] = [[['block_1_project', 0, 0, {}], ['block_2_project_BN', 0, 0, {}]]]
        else:
            layer['config'][path[1]] = bad
        with pytest.raises(nsfwjs.ConversionError, match=path[0]):
            nsfwjs.check_topology(broken)


@needs_package
def test_every_keras_weight_is_placed_and_every_parameter_filled():
    topology, specs, data = nsfwjs.read_model(PACKAGE)
    keras = nsfwjs.dequantize(specs, data)
    assert len(keras) == 266 and sum(v.size for v in keras.values()) == 2_619_461 == len(data)
    mapped = nsfwjs.checkpoint_filter_fn(keras)
    assert len(mapped) == len(keras)  # one state-dict entry per Keras weight, none merged or dropped
    own = MobileNetV2(taps=[LAYERS[-1].name]).state_dict()
    assert set(mapped) == {k for k in own if not k.endswith('num_batches_tracked')}
    # Layouts: Conv2D HWIO -> OIHW, depthwise HWC1 -> C1HW, Dense (in, out) -> (out, in), BN as is.
    k = keras['Conv1/kernel']
    assert torch.equal(mapped['layers.Conv1.weight'][5, 2, 0, 1], torch.tensor(k[0, 1, 2, 5]))
    d = keras['block_3_depthwise/depthwise_kernel']
    assert torch.equal(mapped['layers.block_3_depthwise.weight'][7, 0, 2, 1], torch.tensor(d[2, 1, 7, 0]))
    assert torch.equal(mapped['layers.dense_2.weight'], torch.from_numpy(keras['dense_2/kernel'].T.copy()))
    assert torch.equal(mapped['layers.block_5_expand_BN.running_var'],
                       torch.from_numpy(keras['block_5_expand_BN/moving_variance']))
    # Left-over or missing weights are refused.
    with pytest.raises(nsfwjs.ConversionError, match='left over'):
        nsfwjs.build_state_dict({**keras, 'extra_layer/kernel': np.zeros((1, 1, 1, 1), np.float32)})
    with pytest.raises(nsfwjs.ConversionError, match='not filled'):
        nsfwjs.build_state_dict({k: v for k, v in keras.items() if k != 'Conv_1_bn/gamma'})


@needs_package
def test_dequantization_is_tfjs_affine_rounded_to_float32():
    _, specs, data = nsfwjs.read_model(PACKAGE)
    spec = specs[0]
    q = spec['quantization']
    w = nsfwjs.dequantize(specs, data)[spec['name']]
    assert w.dtype == np.float32
    raw = np.frombuffer(data, np.uint8, w.size)
    assert float(w.reshape(-1)[0]) == float(np.float32(float(raw[0]) * q['scale'] + q['min']))
    # 8-bit: each tensor holds at most 256 distinct values.
    assert len(np.unique(w)) <= 256


def test_weights_file_round_trip_and_provenance(weights):
    full = MobileNetV2(taps=['dense_3'], weights=weights)
    state, prov = mnv2.load_checkpoint(weights)
    assert set(state) == set(full.state_dict())
    assert all(torch.equal(v, state[k]) for k, v in full.state_dict().items())
    assert full.provenance == prov
    assert prov['package'] == 'nsfwjs' and prov['license'] == 'MIT' and prov['version']
    assert 'fine-tuned by nsfwjs' in prov['training'] and '8-bit' in prov['training']
    assert all(len(h) == 64 for h in prov['files'].values())
    json.dumps(prov)  # the sidecar carries it as JSON
    # A truncated network takes its subset of the file.
    m = MobileNetV2(weights=weights)
    assert torch.equal(m.layers['block_6_expand'].weight, state['layers.block_6_expand.weight'])
    # Pretrained BN statistics differ from the random init's identity.
    assert not torch.equal(m.layers['bn_Conv1'].running_var, torch.ones(32))


def test_missing_weights_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='models.uniad.backbones.nsfwjs'):
        MobileNetV2(weights=str(tmp_path / 'absent.pt'))


@needs_package
def test_ensure_weights_converts_once(tmp_path):
    path = nsfwjs.ensure_weights(str(tmp_path))
    assert path == str(tmp_path / nsfwjs.WEIGHTS_NAME)
    mtime = os.stat(path).st_mtime_ns
    assert nsfwjs.ensure_weights(str(tmp_path)) == path and os.stat(path).st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == [nsfwjs.WEIGHTS_NAME]  # no temp file left behind


@needs_package
def test_cli_writes_the_file(tmp_path):
    out = tmp_path / 'w.pt'
    r = subprocess.run(['/usr/bin/python3', '-m', 'models.uniad.backbones.nsfwjs', '--out', str(out)],
                       cwd=str(nsfwjs.REPO_ROOT), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['provenance']['package'] == 'nsfwjs' and out.is_file()
    r = subprocess.run(['/usr/bin/python3', '-m', 'models.uniad.backbones.nsfwjs', '--out', str(out),
                        '--package', str(tmp_path)], cwd=str(nsfwjs.REPO_ROOT), capture_output=True, text=True)
    assert r.returncode == 1 and 'npm ci' in r.stderr


# ---------------------------------------------------------------------------------------------------------------
# ONNX

class _Exported(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, image):
        return tuple(self.backbone(self.backbone.normalize(image)))


def test_onnx_export_with_normalize():
    onnx = pytest.importorskip('onnx')
    from onnx import numpy_helper
    m = MobileNetV2().eval().requires_grad_(False)
    buf = io.BytesIO()
    names = ['s4', 's8', 's16']
    torch.onnx.export(_Exported(m), torch.zeros(1, 224, 224, 3, dtype=torch.uint8), buf, opset_version=17,
                      input_names=['image'], output_names=names,
                      dynamic_axes={'image': {0: 'batch'}, **{n: {0: 'batch'} for n in names}})
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    ops = {n.op_type for n in model.graph.node}
    # BN folds into Conv; Identity appears where the exporter shares equal constants (random init's zero biases).
    assert ops <= {'Transpose', 'Cast', 'Div', 'Constant', 'Identity', 'Pad', 'Conv', 'Clip', 'Add'}, ops
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8
    # Conv1_pad, block_1_pad, block_3_pad, block_6_pad (block_13_pad lies past the last tap): all bottom/right.
    consts = {o: numpy_helper.to_array(n.attribute[0].t).tolist()
              for n in model.graph.node if n.op_type == 'Constant' for o in n.output}
    consts.update({t.name: numpy_helper.to_array(t).tolist() for t in model.graph.initializer})
    pads = [consts[n.input[1]] for n in model.graph.node if n.op_type == 'Pad']
    assert pads == [[0, 0, 0, 0, 0, 0, 1, 1]] * 4  # ONNX order: begins (N, C, H, W) then ends
    inferred = onnx.shape_inference.infer_shapes(model)
    dims = {o.name: [d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim] for o in inferred.graph.output}
    assert dims == {'s4': ['batch', 144, 56, 56], 's8': ['batch', 192, 28, 28], 's16': ['batch', 576, 14, 14]}


def test_registry_builds_it():
    from models.uniad.backbones import create_backbone
    b = create_backbone('mobilenet_v2', taps=['block_2_add'], weights=None)
    assert isinstance(b, MobileNetV2) and b.out_channels == [24] and b.out_strides == [4]


def test_keras_pad_has_the_gradient_of_f_pad():
    x = torch.rand(1, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(mnv2._PadBottomRight.apply, (x,))
    assert torch.equal(mnv2._KerasZeroPad()(x), F.pad(x, (0, 1, 0, 1)))
