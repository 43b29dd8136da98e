#!/usr/bin/python3
"""Exports torchvision's families at ImageNet size: 3x224x224, 1,000 classes.

The files are large (5 to 47 MB each) and are not committed: this script
writes them to a folder of your choice, in the case format of this folder
(NAME.onnx, NAME.cases.json with two inputs and PyTorch's logits, configs
empty), so that the engine's own tools check them:

    /usr/bin/python3 testdata/models/imagenet.py /tmp/imagenet-families [NAME ...]
    go run ./cmd/lrp parity -tol 1e-4 /tmp/imagenet-families
    go run ./cmd/lrp info /tmp/imagenet-families/densenet121.onnx

docs/MODELS.md ("Families at ImageNet size") has the table this gave.

Each family is torchvision's own constructor at its ImageNet size
(`torchvision.models.NAME(weights=None)`, 1,000 classes), eval mode, with
the weights of make.py's recipe: torch.manual_seed(seed), the
constructor's initialisation, zero biases randomized (N(0, 0.02)),
LayerNorms and ConvNeXt's layer scale randomized, and every BatchNorm2d
calibrated to its input (running_mean = m + 0.1 sqrt(v) N(0,1),
running_var = v U(0.5,1.5), weight U(0.5,1.5), bias N(0,0.1), v floored
at 0.01 of its channel mean). Unlike make.py, the BatchNorms are
calibrated in one forward pass, each as the pass reaches it (a pre-hook),
not one pass per BatchNorm in module order: DenseNet-121 has 121 of them
at 224x224. The inputs are make.py's two images A and B resized to
224x224 (bilinear) and normalized with ImageNet's mean and std, as
torchvision's transforms do; the calibration batch is make.py's (the
images, their mirror images, two of uniform noise) at the same size.

Exported with torch.onnx.export at opset 13 (--opset N for another), a
dynamic batch axis, constant folding. Needs Debian's python3-torch (1.13)
and python3-torchvision (0.14), installs nothing.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make  # noqa: E402  (make.py of this folder: its weights recipe and case writer)

SIZE = 224
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)

M = torchvision.models
# name, seed, constructor (1,000 classes, torchvision's defaults)
FAMILIES = [
    ("squeezenet1_1", 9101, lambda: M.squeezenet1_1()),
    ("googlenet", 9201, lambda: M.googlenet(aux_logits=False, init_weights=True)),
    ("densenet121", 9301, lambda: M.densenet121()),
    ("efficientnet_b0", 9401, lambda: M.efficientnet_b0()),
    ("mobilenet_v3_small", 9501, lambda: M.mobilenet_v3_small()),
    ("mobilenet_v3_large", 9502, lambda: M.mobilenet_v3_large()),
    ("resnet18", 9601, lambda: M.resnet18()),
    ("mobilenet_v2", 9701, lambda: M.mobilenet_v2()),
    ("regnet_x_400mf", 9801, lambda: M.regnet_x_400mf()),
    ("shufflenet_v2_x1_0", 9901, lambda: M.shufflenet_v2_x1_0()),
    ("convnext_tiny", 9951, lambda: M.convnext_tiny()),
]


def images():
    """make.py's images A and B at SIZE x SIZE, normalized; the calibration
    batch likewise."""
    x, source = make.read_images()
    calib = make.calibration_batch(x)
    up = lambda t: nn.functional.interpolate(t, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    with torch.no_grad():
        x = up(torch.from_numpy(x)).numpy()
        calib = up(calib).numpy()
    norm = lambda a: ((a - MEAN) / STD).astype(np.float32)
    how = f", resized to {SIZE}x{SIZE} (bilinear) and normalized with ImageNet's mean and std"
    return norm(x), torch.from_numpy(norm(calib)), [s + how for s in source]


def calibrate_batch_norms(m, seed, calib):
    """make.calibrate_batch_norms in one forward pass: each BatchNorm2d is
    set from its input when the pass reaches it (execution order)."""
    g = torch.Generator().manual_seed(seed + 1)
    bns = []

    def hook(bn, inp):
        x = inp[0].detach().double()
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)
        var = var.clamp(min=make.VAR_FLOOR * float(var.mean()))
        c = mean.shape[0]
        bn.running_mean.copy_(mean + 0.1 * var.sqrt() * torch.randn(c, generator=g, dtype=torch.float64))
        bn.running_var.copy_(var * (0.5 + torch.rand(c, generator=g, dtype=torch.float64)))
        bn.weight.copy_(0.5 + torch.rand(c, generator=g))
        bn.bias.copy_(torch.randn(c, generator=g) * 0.1)
        bns.append(bn)

    hs = [mod.register_forward_pre_hook(hook) for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)]
    with torch.no_grad():
        m(calib)
    for h in hs:
        h.remove()
    return len(bns)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("names", nargs="*", help="families to export (default: all)")
    p.add_argument("--opset", type=int, default=13)
    a = p.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(1)
    x, calib, source = images()
    print("| family | parameters | ONNX bytes | BatchNorm2d calibrated | max abs logit | torch float32 vs float64 | torch batch 1 vs 2 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, seed, build in FAMILIES:
        if a.names and name not in a.names:
            continue
        torch.manual_seed(seed)
        m = build().eval()
        make.randomize_zero_biases(m, seed)
        make.randomize_layer_norms(m, seed)
        nbn = calibrate_batch_norms(m, seed, calib)
        with torch.no_grad():
            logits = m(torch.from_numpy(x)).numpy().astype(np.float32)
        f64, batch1 = make.conditioning(m, x, logits)
        path = os.path.join(a.outdir, name + ".onnx")
        torch.onnx.export(m, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=a.opset, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=True)
        desc = f"torchvision.models.{name}(weights=None), 1000 classes, opset {a.opset}"
        make.write_case(os.path.join(a.outdir, name + ".cases.json"), name, desc, seed, x, source, logits,
                        generator="testdata/models/imagenet.py")
        params = sum(t.numel() for t in m.parameters())
        print(f"| {name} | {params:,} | {os.path.getsize(path):,} | {nbn} | {np.abs(logits).max():.3g} | {f64:.2g} | {batch1:.2g} |",
              flush=True)


if __name__ == "__main__":
    main()
