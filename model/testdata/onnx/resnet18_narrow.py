"""Writes resnet18_narrow.onnx: torchvision's ResNet-18 code (its ResNet and
BasicBlock classes, the forward pass unchanged) at 1/32 of its width (2, 4,
8 and 16 channels in the four stages instead of 64 … 512), with random
weights and BatchNorm statistics, exported as a torchvision user exports
one: torch.onnx.export at opset 13, eval mode, no normalization in the
graph, 3×224×224 input, 1,000 outputs. The full width is 45 MB; this one
is small enough to keep in the repository.

Run with Debian's python3-torch 1.13.1 and python3-torchvision 0.14.1:

    /usr/bin/python3 model/testdata/onnx/resnet18_narrow.py
"""

import os

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock

torch.manual_seed(18)
m = torchvision.models.resnet18(weights=None)  # 1,000 classes
# The stages again, narrower, built by torchvision's own _make_layer.
m.inplanes = 2
m.conv1 = nn.Conv2d(3, 2, kernel_size=7, stride=2, padding=3, bias=False)
m.bn1 = nn.BatchNorm2d(2)
m.layer1 = m._make_layer(BasicBlock, 2, 2)
m.layer2 = m._make_layer(BasicBlock, 4, 2, stride=2)
m.layer3 = m._make_layer(BasicBlock, 8, 2, stride=2)
m.layer4 = m._make_layer(BasicBlock, 16, 2, stride=2)
m.fc = nn.Linear(16, 1000)
for mod in m.modules():
    if isinstance(mod, nn.BatchNorm2d):
        c = mod.num_features
        mod.running_mean.uniform_(-0.5, 0.5)
        mod.running_var.uniform_(0.5, 2.0)
        mod.weight.data.uniform_(0.5, 1.5)
        mod.bias.data.uniform_(-0.2, 0.2)
m.eval()

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet18_narrow.onnx")
torch.onnx.export(m, torch.randn(1, 3, 224, 224), out, opset_version=13,
                  input_names=["input"], output_names=["output"])
print(out, os.path.getsize(out), "bytes,", torchvision.__version__, torch.__version__)
