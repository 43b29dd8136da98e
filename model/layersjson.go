package model

import (
	"encoding/json"
	"fmt"

	"github.com/lrpwasm/lrp/lrp"
)

// layersFile is the plain JSON layer format of the reference fixtures
// (NAME.layers.json): a sequential model as a list of PyTorch modules.
type layersFile struct {
	InputShape []int        `json:"input_shape"`
	Layers     []layersNode `json:"layers"`
}

type layersNode struct {
	Type        string    `json:"type"`
	InChannels  int       `json:"in_channels"`
	OutChannels int       `json:"out_channels"`
	Kernel      []int     `json:"kernel"`
	Stride      []int     `json:"stride"`
	Padding     []int     `json:"padding"`
	InFeatures  int       `json:"in_features"`
	OutFeatures int       `json:"out_features"`
	NumFeatures int       `json:"num_features"`
	Weight      []float32 `json:"weight"`
	Bias        []float32 `json:"bias"`
	RunningMean []float32 `json:"running_mean"`
	RunningVar  []float32 `json:"running_var"`
	Eps         float32   `json:"eps"`
}

// DecodeLayersJSON reads a sequential model in the fixtures' plain JSON
// layer format (conv2d, linear, relu, flatten, maxpool2d, avgpool2d,
// global_avgpool2d, batchnorm2d; see testdata/zennit/README.md). The
// pixel range is [0, 1]; BatchNorm layers are kept (call FoldBatchNorm).
func DecodeLayersJSON(name string, data []byte) (*lrp.Model, error) {
	var f layersFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("model: layers JSON: %w", err)
	}
	pair := func(v []int, def int) (int, int, error) {
		switch len(v) {
		case 0:
			return def, def, nil
		case 1:
			return v[0], v[0], nil
		case 2:
			return v[0], v[1], nil
		}
		return 0, 0, fmt.Errorf("model: layers JSON: want 1 or 2 values, got %v", v)
	}
	nodes := make([]lrp.Node, 0, len(f.Layers))
	for i, l := range f.Layers {
		var layer lrp.Layer
		kh, kw, err1 := pair(l.Kernel, 1)
		sh, sw, err2 := pair(l.Stride, 1)
		ph, pw, err3 := pair(l.Padding, 0)
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				return nil, fmt.Errorf("model: layers JSON layer %d: %w", i, err)
			}
		}
		switch l.Type {
		case "conv2d":
			layer = &lrp.Conv2D{InC: l.InChannels, OutC: l.OutChannels, KH: kh, KW: kw, SH: sh, SW: sw, DH: 1, DW: 1,
				PT: ph, PB: ph, PL: pw, PR: pw, Groups: 1, W: l.Weight, B: l.Bias}
		case "linear":
			layer = &lrp.Dense{In: l.InFeatures, Out: l.OutFeatures, W: l.Weight, B: l.Bias}
		case "relu":
			layer = &lrp.ReLU{}
		case "flatten":
			layer = &lrp.Flatten{}
		case "maxpool2d":
			layer = &lrp.MaxPool2D{KH: kh, KW: kw, SH: sh, SW: sw, PT: ph, PB: ph, PL: pw, PR: pw}
		case "avgpool2d":
			layer = &lrp.AvgPool2D{KH: kh, KW: kw, SH: sh, SW: sw, PT: ph, PB: ph, PL: pw, PR: pw, CountIncludePad: true}
		case "global_avgpool2d":
			layer = &lrp.GlobalAvgPool{}
		case "batchnorm2d":
			layer = &lrp.BatchNorm{Mean: l.RunningMean, Var: l.RunningVar, Gamma: l.Weight, Beta: l.Bias, Eps: l.Eps}
		default:
			return nil, UnsupportedError(fmt.Sprintf("layers JSON layer %d: type %q", i, l.Type))
		}
		nodes = append(nodes, lrp.Node{Name: fmt.Sprint(i), Layer: layer, Inputs: []int{i - 1}})
	}
	m, err := lrp.NewModel(name, lrp.InputSpec{Shape: f.InputShape, Low: 0, High: 1}, nodes, nil)
	if err != nil {
		return nil, fmt.Errorf("model: layers JSON: %w", err)
	}
	return m, nil
}
