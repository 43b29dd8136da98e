#!/usr/bin/python3
"""Builds the test models of testdata/models (see README.md there).

Each family is built with torchvision's own constructors at 3x64x64 and 10
classes, with seeded random weights prepared as testdata/zennit/arch does
(zero biases randomized, BatchNorm calibrated to the activations), in eval
mode; it is exported to ONNX at opset 13 (and at opset 17 when that export
has other operators), and its inputs and PyTorch logits are written in the
case format of testdata/zennit/arch (configs empty: logits only).

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14) and
nothing else; installs nothing. Run from the repository's root:

    /usr/bin/python3 testdata/models/make.py

It rewrites every NAME.onnx and NAME.cases.json of this folder and prints
the table of files and operators that docs/MODELS.md shows.
"""

import base64
import collections
import copy
import functools
import json
import os
import sys

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models import convnext, densenet, efficientnet, mobilenetv2, mobilenetv3, regnet, resnet, shufflenetv2
from torchvision.models.googlenet import BasicConv2d, GoogLeNet, Inception, InceptionAux  # the package's googlenet is the function

HERE = os.path.dirname(os.path.abspath(__file__))
# The two synthetic 3x64x64 images of testdata/zennit/arch (images A and B).
IMAGES = os.path.join(HERE, "..", "zennit", "arch", "squeezenet.cases.json")
SIZE = 64
CLASSES = 10
OPSETS = (13, 17)
# The floor of a calibrated BatchNorm's variance, relative to its mean over
# the channels (see calibrate_batch_norms).
VAR_FLOOR = 0.01
# The largest difference allowed between torch's float32 logits and the
# float64 evaluation of the same weights, relative to the largest |logit|.
# Deep random BatchNorm networks amplify rounding exponentially with depth
# (full-depth MobileNetV2 here: 5e-4), and a test of another engine within
# 1e-4 must not be a test of rounding; seeds and depths are chosen to stay
# below it.
MAX_ROUNDING = 3e-5


def narrow_googlenet_conv(k):
    """GoogLeNet's BasicConv2d with every channel count divided by k (the
    image's 3 input channels kept): GoogLeNet has no width parameter, but
    its blocks argument takes the convolution block."""

    def conv_block(in_channels, out_channels, **kwargs):
        return BasicConv2d(in_channels if in_channels == 3 else in_channels // k, out_channels // k, **kwargs)

    return conv_block


def make_googlenet():
    k = 4
    conv = narrow_googlenet_conv(k)
    m = GoogLeNet(
        num_classes=CLASSES, aux_logits=False, transform_input=False, init_weights=True,
        blocks=[conv, functools.partial(Inception, conv_block=conv), InceptionAux])
    # fc is nn.Linear(1024, classes) whatever the blocks: it takes the
    # narrowed 1024 / k features, with the constructor's initialisation.
    m.fc = nn.Linear(1024 // k, CLASSES)
    nn.init.trunc_normal_(m.fc.weight, mean=0.0, std=0.01, a=-2, b=2)
    return m


def make_resnet18():
    """ResNet-18's blocks at 3/16 of its width: torchvision's ResNet with
    BasicBlock and layers [2, 2, 2, 2], its stem and stages rebuilt by its own
    _make_layer at 12, 24, 48, 96 planes (ResNet has no width parameter),
    then its own initialisation."""
    w = 12
    m = resnet.ResNet(resnet.BasicBlock, [2, 2, 2, 2], num_classes=CLASSES)
    m.inplanes = w
    m.conv1 = nn.Conv2d(3, w, kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(w)
    m.layer1 = m._make_layer(resnet.BasicBlock, w, 2)
    m.layer2 = m._make_layer(resnet.BasicBlock, 2 * w, 2, stride=2)
    m.layer3 = m._make_layer(resnet.BasicBlock, 4 * w, 2, stride=2)
    m.layer4 = m._make_layer(resnet.BasicBlock, 8 * w, 2, stride=2)
    m.fc = nn.Linear(8 * w, CLASSES)
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, nn.BatchNorm2d):
            nn.init.constant_(mod.weight, 1)
            nn.init.constant_(mod.bias, 0)
    return m


def make_efficientnet_b0():
    setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.35, depth_mult=0.5)
    return efficientnet.EfficientNet(setting, dropout=0.2, last_channel=last, num_classes=CLASSES)


def make_convnext_tiny():
    # convnext_tiny's four stages (96, 192, 384, 768 channels, depths 3, 3,
    # 9, 3) at a twelfth of the width and depths 1, 1, 2, 1; layer_scale 1
    # (the constructor's default 1e-6 makes every block an identity).
    cfg = convnext.CNBlockConfig
    setting = [cfg(8, 16, 1), cfg(16, 32, 1), cfg(32, 64, 2), cfg(64, None, 1)]
    return convnext.ConvNeXt(setting, stochastic_depth_prob=0.1, layer_scale=1.0, num_classes=CLASSES)


def make_regnet_x_400mf():
    # regnet_x_400mf is depth 22, w_0 24, w_a 24.48, w_m 2.54, group width
    # 16; here depth 6, w_0 16, w_a 8, w_m 2, group width 8.
    params = regnet.BlockParams.from_init_params(depth=6, w_0=16, w_a=8.0, w_m=2.0, group_width=8)
    return regnet.RegNet(params, num_classes=CLASSES)


MOBILENET_V2 = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2], [6, 64, 1, 2], [6, 96, 1, 1], [6, 160, 1, 2], [6, 320, 1, 1]]

# name, seed, constructor, description (as in README.md and docs/MODELS.md)
FAMILIES = [
    ("googlenet", 7204, make_googlenet,
     "GoogLeNet(num_classes=10, aux_logits=False, transform_input=False, init_weights=True, "
     "blocks=[BasicConv2d with channels / 4, Inception with it, InceptionAux]), fc Linear(256, 10)"),
    ("densenet", 7301, lambda: densenet.DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=CLASSES),
     "DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=10)"),
    ("efficientnet_b0", 7501, make_efficientnet_b0,
     "EfficientNet(_efficientnet_conf('efficientnet_b0', width_mult=0.35, depth_mult=0.5), dropout=0.2, num_classes=10)"),
    ("mobilenet_v3_small", 7601, lambda: mobilenetv3.mobilenet_v3_small(width_mult=0.35, num_classes=CLASSES),
     "mobilenet_v3_small(width_mult=0.35, num_classes=10)"),
    # shufflenet_v2_x0_5's channels with 2, 2, 2 blocks per stage (it has 4, 8, 4).
    ("shufflenet_v2_x0_5", 7703, lambda: shufflenetv2.ShuffleNetV2([2, 2, 2], [24, 48, 96, 192, 1024], num_classes=CLASSES),
     "ShuffleNetV2(stages_repeats=[2, 2, 2], stages_out_channels=[24, 48, 96, 192, 1024], num_classes=10)"),
    ("convnext_tiny", 7801, make_convnext_tiny,
     "ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, 32, 1), CNBlockConfig(32, 64, 2), CNBlockConfig(64, None, 1)], "
     "stochastic_depth_prob=0.1, layer_scale=1.0, num_classes=10)"),
    ("regnet_x_400mf", 7901, make_regnet_x_400mf,
     "RegNet(BlockParams.from_init_params(depth=6, w_0=16, w_a=8.0, w_m=2.0, group_width=8), num_classes=10)"),
    ("resnet18", 8001, make_resnet18,
     "ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10) with stem and stages rebuilt at 12, 24, 48, 96 planes"),
    # mobilenet_v2's seven stages with 1, 2, 1, 1, 1, 1, 1 blocks (it has
    # 1, 2, 3, 4, 3, 3, 1).
    ("mobilenet_v2", 8103, lambda: mobilenetv2.MobileNetV2(width_mult=0.35, num_classes=CLASSES, inverted_residual_setting=MOBILENET_V2),
     "MobileNetV2(width_mult=0.35, num_classes=10, inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2], "
     "[6, 64, 1, 2], [6, 96, 1, 1], [6, 160, 1, 2], [6, 320, 1, 1]])"),
]


def read_images():
    with open(IMAGES) as f:
        case = json.load(f)
    assert case["input_shape"] == [3, SIZE, SIZE], case["input_shape"]
    imgs = [np.frombuffer(base64.b64decode(s), dtype="<f4").reshape(3, SIZE, SIZE) for s in case["inputs_b64"]]
    return np.stack(imgs), case["input_source"]


def calibration_batch(x):
    """The two images, their left-right and top-bottom mirror images, and two
    images of uniform random values in [0, 1), as in testdata/zennit/arch."""
    noise = np.random.default_rng(12345).random((2, 3, SIZE, SIZE)).astype(np.float32)
    return torch.from_numpy(np.concatenate([x, x[:, :, :, ::-1], x[:, :, ::-1, :], noise]).copy())


def randomize_zero_biases(m, seed):
    g = torch.Generator().manual_seed(seed + 2)
    n = 0
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)) and mod.bias is not None and bool((mod.bias == 0).all()):
            with torch.no_grad():
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.02)
            n += 1
    return n


def randomize_layer_norms(m, seed):
    """LayerNorm's affine parameters and ConvNeXt's per-channel layer scale
    (ones and zeros after construction) drawn like a calibrated BatchNorm's:
    weight and scale U(0.5, 1.5), bias N(0, 0.1), module order."""
    g = torch.Generator().manual_seed(seed + 3)
    n = 0
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(0.5 + torch.rand(mod.weight.shape, generator=g))
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
                n += 1
            elif isinstance(mod, convnext.CNBlock):
                mod.layer_scale.copy_(0.5 + torch.rand(mod.layer_scale.shape, generator=g))
                n += 1
    return n


def calibrate_batch_norms(m, seed, calib):
    """Each BatchNorm2d in module order gets, from the mean m and biased
    variance v of its input over the calibration batch (earlier ones already
    set): running_mean = m + 0.1 sqrt(v) N(0,1), running_var = v U(0.5,1.5),
    weight U(0.5,1.5), bias N(0,0.1). Unlike testdata/zennit/arch, v is at
    least VAR_FLOOR times its mean over the layer's channels: a channel with
    (almost) no variance would otherwise scale its rounding errors by up to
    1/sqrt(eps)."""
    g = torch.Generator().manual_seed(seed + 1)
    bns = [mod for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)]
    for bn in bns:
        seen = {}
        h = bn.register_forward_hook(lambda mod, inp, out: seen.setdefault("x", inp[0].detach()))
        with torch.no_grad():
            m(calib)
        h.remove()
        x = seen["x"].double()
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)
        var = var.clamp(min=VAR_FLOOR * float(var.mean()))
        c = mean.shape[0]
        with torch.no_grad():
            bn.running_mean.copy_(mean + 0.1 * var.sqrt() * torch.randn(c, generator=g, dtype=torch.float64))
            bn.running_var.copy_(var * (0.5 + torch.rand(c, generator=g, dtype=torch.float64)))
            bn.weight.copy_(0.5 + torch.rand(c, generator=g))
            bn.bias.copy_(torch.randn(c, generator=g) * 0.1)
    return len(bns), sorted({bn.eps for bn in bns})


# A minimal reader of the ONNX protobuf: enough to count a graph's
# operators without the onnx package.

def _varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, t = key >> 3, key & 7
        if t == 0:
            v, i = _varint(b, i)
        elif t == 1:
            v, i = b[i:i + 8], i + 8
        elif t == 5:
            v, i = b[i:i + 4], i + 4
        elif t == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"wire type {t}")
        yield f, v


def onnx_summary(data):
    """The op types of the graph's nodes with their counts, and the number
    of initializer tensors (ModelProto.graph = 7; GraphProto.node = 1,
    initializer = 5; NodeProto.op_type = 4)."""
    ops = collections.Counter()
    inits = 0
    for f, v in _fields(data):
        if f != 7:
            continue
        for gf, gv in _fields(v):
            if gf == 1:
                ops.update(bytes(nv).decode() for nf, nv in _fields(gv) if nf == 4)
            elif gf == 5:
                inits += 1
    return ops, inits


def f32(v):
    """The shortest decimal that reads back as the float32 v."""
    return np.format_float_positional(np.float32(v), unique=True, trim="-") if 1e-4 <= abs(v) < 1e6 or v == 0 else \
        np.format_float_scientific(np.float32(v), unique=True, trim="-")


def export(m, name, opset):
    path = os.path.join(HERE, f"{name}.onnx" if opset == OPSETS[0] else f"{name}.opset{opset}.onnx")
    torch.onnx.export(m, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    with open(path, "rb") as f:
        data = f.read()
    return path, data


def write_case(path, name, desc, seed, x, source, logits, generator="testdata/models/make.py"):
    pred = [int(i) for i in logits.argmax(axis=1)]
    rows = ", ".join("[" + ", ".join(f32(v) for v in row) + "]" for row in logits)
    head = {
        "model": name,
        "constructor": desc,
        "seed": seed,
        "generator": generator,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "input_shape": list(x.shape[1:]),
        "array_encoding": "fields ending in _b64 hold base64 of little-endian float32 values, flattened in [C][H][W] row-major order",
        "input_source": source,
        "inputs_b64": [base64.b64encode(img.astype("<f4").tobytes()).decode() for img in x],
        "labels": pred,
    }
    text = json.dumps(head)[:-1] + f', "logits": [{rows}], "predicted": {json.dumps(pred)}, "configs": {{}}}}\n'
    json.loads(text)
    with open(path, "w") as f:
        f.write(text)


def conditioning(m, x, logits):
    """How far torch's own float32 logits move under another rounding: the
    largest difference from the float64 evaluation of the same weights, and
    from batch size 1, relative to the largest |logit|."""
    with torch.no_grad():
        one = np.concatenate([m(torch.from_numpy(x[i:i + 1])).numpy() for i in range(len(x))])
        exact = copy.deepcopy(m).double()(torch.from_numpy(x).double()).numpy()
    return float(np.abs(logits - exact).max() / np.abs(exact).max()), float(np.abs(logits - one).max() / np.abs(logits).max())


def main():
    torch.set_num_threads(1)
    x, source = read_images()
    calib = calibration_batch(x)
    only = set(sys.argv[1:])
    rows = []
    all_ops = {}
    for name, seed, build, desc in FAMILIES:
        if only and name not in only:
            continue
        torch.manual_seed(seed)
        m = build().eval()
        nb = randomize_zero_biases(m, seed)
        nl = randomize_layer_norms(m, seed)
        nbn, eps = calibrate_batch_norms(m, seed, calib)
        with torch.no_grad():
            logits = m(torch.from_numpy(x)).numpy().astype(np.float32)
        f64, batch1 = conditioning(m, x, logits)
        if f64 > MAX_ROUNDING:
            raise SystemExit(f"{name}: float32 logits {f64:.2g} from float64: choose another seed or a shallower model")
        params = sum(p.numel() for p in m.parameters())
        first = None
        for opset in OPSETS:
            path, data = export(m, name, opset)
            ops, inits = onnx_summary(data)
            if first is not None and ops == first:
                os.remove(path)  # the same operators as opset 13: one file is enough
                continue
            first = first or ops
            base = os.path.basename(path)[:-len(".onnx")]
            case = os.path.join(HERE, base + ".cases.json")
            write_case(case, base, desc, seed, x, source, logits)
            all_ops[base] = ops
            top = np.sort(logits, axis=1)
            gap = top[:, -1] - top[:, -2]
            pred = logits.argmax(axis=1)
            rows.append(f"| {base} | {opset} | {params:,} | {len(data):,} | {os.path.getsize(case):,} | {nb} | {nl} | "
                        f"{nbn} ({', '.join(f'{e:g}' for e in eps)}) | {pred[0]}, {pred[1]} | {gap[0]:.3g}, {gap[1]:.3g} | "
                        f"{np.abs(logits).max():.3g} | {f64:.2g} | {batch1:.2g} | {sum(ops.values())} |")
    print("| file | opset | parameters | ONNX bytes | cases bytes | zero biases randomized | LayerNorms and scales randomized | "
          "BatchNorm2d calibrated (eps) | predicted (A, B) | top-2 logit gap (A, B) | max abs logit | "
          "torch float32 vs float64 | torch batch 1 vs 2 | nodes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    names = list(all_ops)
    print()
    print("| op | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for op in sorted(set().union(*all_ops.values())):
        print(f"| {op} | " + " | ".join(str(all_ops[n][op]) if all_ops[n][op] else "" for n in names) + " |")


if __name__ == "__main__":
    main()
