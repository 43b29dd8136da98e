package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
)

// graphKey is the __metadata__ key of a safetensors file that holds the
// layer graph, as a JSON string; graphVersion is the schema version this
// package reads and writes. The schema is described in README.md.
const (
	graphKey     = "lrp.graph"
	graphVersion = 1
	inputName    = "input" // the name by which nodes read the model input
)

// Limits on graph attributes. Real networks stay far below them; they keep
// every size the engine computes from a hostile file (window extents,
// output shapes) far from integer overflow.
const (
	maxWindow    = 1 << 10              // kernel, stride, dilation, padding
	maxChannels  = lrp.MaxInputLen * 64 // features and channels: the engine's bound on a node output
	maxJSONDepth = 16
)

// graphJSON is the lrp.graph document.
type graphJSON struct {
	Version int               `json:"version"`
	Name    string            `json:"name,omitempty"`
	Input   inputJSON         `json:"input"`
	Labels  []string          `json:"labels,omitempty"`
	Card    map[string]string `json:"card,omitempty"`
	Nodes   []nodeJSON        `json:"nodes"`
}

// inputJSON is lrp.InputSpec.
type inputJSON struct {
	Shape []int     `json:"shape"`
	Low   float32   `json:"low"`
	High  float32   `json:"high"`
	Mean  []float32 `json:"mean,omitempty"`
	Std   []float32 `json:"std,omitempty"`
}

// nodeJSON is one lrp.Node. Which attributes apply depends on Op (see ops);
// Weight, Bias, Mean and Var name tensors of the safetensors file.
type nodeJSON struct {
	Name   string   `json:"name"`
	Op     string   `json:"op"`
	Inputs []string `json:"inputs"`

	InFeatures      int     `json:"in_features,omitempty"`
	OutFeatures     int     `json:"out_features,omitempty"`
	InChannels      int     `json:"in_channels,omitempty"`
	OutChannels     int     `json:"out_channels,omitempty"`
	Channels        int     `json:"channels,omitempty"`
	Kernel          []int   `json:"kernel,omitempty"`   // [h, w]
	Stride          []int   `json:"stride,omitempty"`   // [h, w]
	Dilation        []int   `json:"dilation,omitempty"` // [h, w]
	Padding         []int   `json:"padding,omitempty"`  // [top, left, bottom, right]
	Groups          int     `json:"groups,omitempty"`
	CountIncludePad bool    `json:"count_include_pad,omitempty"`
	CeilMode        bool    `json:"ceil_mode,omitempty"`
	Eps             float32 `json:"eps,omitempty"`
	Alpha           float32 `json:"alpha,omitempty"`
	Beta            float32 `json:"beta,omitempty"`
	Range           []int   `json:"range,omitempty"` // [start, stop, step]

	Weight string `json:"weight,omitempty"`
	Bias   string `json:"bias,omitempty"`
	Mean   string `json:"mean,omitempty"`
	Var    string `json:"var,omitempty"`
}

// An opSpec says how many inputs a node of one kind reads (variadic: 1 to
// lrp.MaxInputs) and which attributes it may carry; any other attribute is
// an error, so that a typo or a misplaced attribute is not silently
// ignored.
type opSpec struct {
	arity int
	attrs string // space-separated JSON names
}

// variadic is the arity of a node that reads 1 to lrp.MaxInputs inputs.
const variadic = -1

var ops = map[lrp.Kind]opSpec{
	lrp.KindDense:         {1, "in_features out_features weight bias"},
	lrp.KindConv:          {1, "in_channels out_channels kernel stride dilation padding groups weight bias"},
	lrp.KindReLU:          {1, ""},
	lrp.KindReLU6:         {1, ""},
	lrp.KindMaxPool:       {1, "kernel stride padding ceil_mode"},
	lrp.KindAvgPool:       {1, "kernel stride padding count_include_pad ceil_mode"},
	lrp.KindGlobalAvgPool: {1, ""},
	lrp.KindFlatten:       {1, ""},
	lrp.KindAdd:           {2, ""},
	lrp.KindBatchNorm:     {1, "channels eps mean var weight bias"},
	lrp.KindConcat:        {variadic, ""},
	lrp.KindMul:           {2, ""},
	lrp.KindSigmoid:       {1, ""},
	lrp.KindHardSigmoid:   {1, "alpha beta"},
	lrp.KindSiLU:          {1, ""},
	lrp.KindHardSwish:     {1, ""},
	lrp.KindGELU:          {1, ""},
	lrp.KindLeakyReLU:     {1, "alpha"},
	lrp.KindELU:           {1, "alpha"},
	lrp.KindTanh:          {1, ""},
	lrp.KindSlice:         {1, "range"},
	lrp.KindShuffle:       {1, "groups"},
	lrp.KindLayerNorm:     {1, "channels eps weight bias"},
	lrp.KindScale:         {1, "channels weight bias"},
}

// A namedTensor is a weight tensor to be written.
type namedTensor struct {
	key   string
	shape []int
	data  []float32
}

// encodeGraph returns the lrp.graph document of m and the tensors it names,
// in node order. Unnamed nodes are named n0, n1, ... by index.
func encodeGraph(m *lrp.Model, card map[string]string) (*graphJSON, []namedTensor, error) {
	g := &graphJSON{
		Version: graphVersion,
		Name:    m.Name,
		Input:   inputJSON{m.Input.Shape, m.Input.Low, m.Input.High, m.Input.Mean, m.Input.Std},
		Labels:  m.Labels,
		Card:    card,
		Nodes:   make([]nodeJSON, len(m.Nodes)),
	}
	var ts []namedTensor
	names := make([]string, len(m.Nodes))
	seen := map[string]bool{inputName: true}
	for i, nd := range m.Nodes {
		name := nd.Name
		if name == "" {
			name = fmt.Sprintf("n%d", i)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("model: node %d: name %q is used twice or reserved", i, name)
		}
		seen[name] = true
		names[i] = name
		n := &g.Nodes[i]
		n.Name, n.Op = name, nd.Layer.Kind().String()
		for _, j := range nd.Inputs {
			if j == lrp.Input {
				n.Inputs = append(n.Inputs, inputName)
			} else if j >= 0 && j < i {
				n.Inputs = append(n.Inputs, names[j])
			} else {
				return nil, nil, fmt.Errorf("model: node %d (%s) reads node %d, which is not an earlier node", i, name, j)
			}
		}
		tensor := func(suffix string, data []float32, shape ...int) string {
			if data == nil {
				return ""
			}
			key := name + "." + suffix
			ts = append(ts, namedTensor{key, shape, data})
			return key
		}
		switch l := nd.Layer.(type) {
		case *lrp.Dense:
			n.InFeatures, n.OutFeatures = l.In, l.Out
			n.Weight = tensor("weight", l.W, l.Out, l.In)
			n.Bias = tensor("bias", l.B, l.Out)
		case *lrp.Conv2D:
			n.InChannels, n.OutChannels, n.Groups = l.InC, l.OutC, l.Groups
			n.Kernel, n.Stride, n.Dilation = []int{l.KH, l.KW}, []int{l.SH, l.SW}, []int{l.DH, l.DW}
			n.Padding = []int{l.PT, l.PL, l.PB, l.PR}
			if l.Groups < 1 {
				return nil, nil, fmt.Errorf("model: node %s: conv2d with %d groups", name, l.Groups)
			}
			n.Weight = tensor("weight", l.W, l.OutC, l.InC/l.Groups, l.KH, l.KW)
			n.Bias = tensor("bias", l.B, l.OutC)
		case *lrp.MaxPool2D:
			n.Kernel, n.Stride, n.Padding = []int{l.KH, l.KW}, []int{l.SH, l.SW}, []int{l.PT, l.PL, l.PB, l.PR}
			n.CeilMode = l.Ceil
		case *lrp.AvgPool2D:
			n.Kernel, n.Stride, n.Padding = []int{l.KH, l.KW}, []int{l.SH, l.SW}, []int{l.PT, l.PL, l.PB, l.PR}
			n.CountIncludePad, n.CeilMode = l.CountIncludePad, l.Ceil
		case *lrp.BatchNorm:
			c := len(l.Mean)
			n.Channels, n.Eps = c, l.Eps
			n.Mean = tensor("running_mean", l.Mean, c)
			n.Var = tensor("running_var", l.Var, c)
			n.Weight = tensor("weight", l.Gamma, c)
			n.Bias = tensor("bias", l.Beta, c)
		case *lrp.Slice:
			n.Range = []int{l.Start, l.Stop, l.Step}
		case *lrp.Shuffle:
			n.Groups = l.Groups
		case *lrp.LayerNorm:
			c := len(l.Gamma)
			n.Channels, n.Eps = c, l.Eps
			n.Weight = tensor("weight", l.Gamma, c)
			n.Bias = tensor("bias", l.Beta, c)
		case *lrp.Scale:
			c := len(l.W)
			n.Channels = c
			n.Weight = tensor("weight", l.W, c)
			n.Bias = tensor("bias", l.B, c)
		case *lrp.HardSigmoid:
			n.Alpha, n.Beta = l.Alpha, l.Beta
		case *lrp.LeakyReLU:
			n.Alpha = l.Alpha
		case *lrp.ELU:
			n.Alpha = l.Alpha
		case *lrp.ReLU, *lrp.ReLU6, *lrp.GlobalAvgPool, *lrp.Flatten, *lrp.Add, *lrp.Concat, *lrp.Mul,
			*lrp.Sigmoid, *lrp.SiLU, *lrp.HardSwish, *lrp.GELU, *lrp.Tanh:
		default:
			return nil, nil, UnsupportedError(fmt.Sprintf("layer type %T", nd.Layer))
		}
	}
	for _, t := range ts {
		if n := product(t.shape); n != len(t.data) {
			return nil, nil, fmt.Errorf("model: tensor %s has %d values for shape %v", t.key, len(t.data), t.shape)
		}
	}
	return g, ts, nil
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// A graphDecoder builds a model from an lrp.graph document. take returns
// the values of a tensor, which must exist with exactly the given shape and
// be used once; at is the file offset of the document, for errors.
type graphDecoder struct {
	take func(key string, shape ...int) ([]float32, error)
	at   int64
}

func (d *graphDecoder) errorf(format string, args ...any) error {
	return &FormatError{d.at, "lrp.graph: " + fmt.Sprintf(format, args...)}
}

// parseGraph decodes and checks the lrp.graph document s. Duplicate keys,
// unknown fields and a version other than graphVersion are errors.
func (d *graphDecoder) parseGraph(s string) (*graphJSON, error) {
	r := &graphReader{jsonScanner: jsonScanner{s: s, floats: true}}
	g := new(graphJSON)
	if err := r.read(g); err != nil {
		return nil, d.errorf("%v", err)
	}
	switch {
	case r.versionErr != nil:
		return nil, d.errorf("%v", r.versionErr)
	case r.version == nil:
		return nil, d.errorf("no version")
	case *r.version != graphVersion:
		return nil, UnsupportedError(fmt.Sprintf("lrp.graph version %d (this reader knows version %d)", *r.version, graphVersion))
	case r.err != nil:
		return nil, d.errorf("%v", r.err)
	case r.nodes > lrp.MaxNodes: // model's first check, on all the nodes
		return nil, d.tooManyNodes(r.nodes)
	}
	return g, nil
}

func (d *graphDecoder) tooManyNodes(n int) error {
	return d.errorf("%d nodes, more than the %d allowed", n, lrp.MaxNodes)
}

// model builds and checks the lrp.Model that g describes.
func (d *graphDecoder) model(g *graphJSON) (*lrp.Model, error) {
	if len(g.Nodes) > lrp.MaxNodes {
		return nil, d.tooManyNodes(len(g.Nodes))
	}
	index := make(map[string]int, len(g.Nodes)+1)
	index[inputName] = lrp.Input
	nodes := make([]lrp.Node, len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Name == "" {
			return nil, d.errorf("node %d has no name", i)
		}
		if _, dup := index[n.Name]; dup {
			return nil, d.errorf("node %d: name %q is used twice or reserved", i, short(n.Name))
		}
		k, err := lrp.ParseKind(n.Op)
		if err != nil {
			return nil, UnsupportedError(fmt.Sprintf("lrp.graph node %q: op %q", short(n.Name), short(n.Op)))
		}
		spec := ops[k]
		if err := checkAttrs(n, spec.attrs); err != nil {
			return nil, d.errorf("node %q (%s): %v", short(n.Name), k, err)
		}
		switch {
		case spec.arity == variadic && (len(n.Inputs) < 1 || len(n.Inputs) > lrp.MaxInputs):
			return nil, d.errorf("node %q (%s) has %d inputs, want 1 to %d", short(n.Name), k, len(n.Inputs), lrp.MaxInputs)
		case spec.arity != variadic && len(n.Inputs) != spec.arity:
			return nil, d.errorf("node %q (%s) has %d inputs, want %d", short(n.Name), k, len(n.Inputs), spec.arity)
		}
		nodes[i] = lrp.Node{Name: n.Name, Inputs: make([]int, len(n.Inputs))}
		for a, in := range n.Inputs {
			j, ok := index[in]
			if !ok {
				if d.defined(g, in) {
					return nil, d.errorf("node %q reads %q, which is not an earlier node (cycle or forward reference)", short(n.Name), short(in))
				}
				return nil, d.errorf("node %q reads unknown input %q", short(n.Name), short(in))
			}
			nodes[i].Inputs[a] = j
		}
		if nodes[i].Layer, err = d.layer(n, k); err != nil {
			return nil, err
		}
		index[n.Name] = i
	}
	in := lrp.InputSpec{Shape: g.Input.Shape, Low: g.Input.Low, High: g.Input.High, Mean: g.Input.Mean, Std: g.Input.Std}
	m, err := lrp.NewModel(g.Name, in, nodes, g.Labels)
	if err != nil {
		return nil, d.errorf("%s", strings.TrimPrefix(err.Error(), "lrp: "))
	}
	return m, nil
}

func (d *graphDecoder) defined(g *graphJSON, name string) bool {
	for i := range g.Nodes {
		if g.Nodes[i].Name == name {
			return true
		}
	}
	return false
}

// checkAttrs reports an attribute of n that is set but not in attrs.
func checkAttrs(n *nodeJSON, attrs string) error {
	for i, set := range n.attrs() {
		if name := nodeFields[3+i]; set && !slices.Contains(strings.Fields(attrs), name) {
			return fmt.Errorf("attribute %q does not apply", name)
		}
	}
	return nil
}

// attrs tells for each attribute of n, the fields after name, op and
// inputs in order, whether it is set: not the zero value, as
// reflect.Value.IsZero tells (TestNodeAttrs).
func (n *nodeJSON) attrs() [20]bool {
	return [...]bool{n.InFeatures != 0, n.OutFeatures != 0, n.InChannels != 0, n.OutChannels != 0, n.Channels != 0,
		n.Kernel != nil, n.Stride != nil, n.Dilation != nil, n.Padding != nil, n.Groups != 0, n.CountIncludePad,
		n.CeilMode, n.Eps != 0, n.Alpha != 0, n.Beta != 0, n.Range != nil, n.Weight != "", n.Bias != "", n.Mean != "", n.Var != ""}
}

// layer builds the layer of node n, of kind k, taking its tensors.
func (d *graphDecoder) layer(n *nodeJSON, k lrp.Kind) (lrp.Layer, error) {
	var err error
	check := func(what string, v []int, want, lo int) []int {
		if err != nil {
			return nil
		}
		if len(v) != want {
			err = d.errorf("node %q: %s has %d values, want %d", short(n.Name), what, len(v), want)
			return nil
		}
		for _, x := range v {
			if x < lo || x > maxWindow {
				err = d.errorf("node %q: %s %v out of range [%d, %d]", short(n.Name), what, v, lo, maxWindow)
				return nil
			}
		}
		return v
	}
	count := func(what string, v int) int {
		if err == nil && (v < 1 || v > maxChannels) {
			err = d.errorf("node %q: %s %d out of range [1, %d]", short(n.Name), what, v, maxChannels)
		}
		return v
	}
	take := func(key string, optional bool, shape ...int) []float32 {
		if err != nil || (optional && key == "") {
			return nil
		}
		if key == "" {
			err = d.errorf("node %q (%s) names no tensor for a required weight", short(n.Name), k)
			return nil
		}
		var w []float32
		w, err = d.take(key, shape...)
		return w
	}
	var l lrp.Layer
	switch k {
	case lrp.KindDense:
		in, out := count("in_features", n.InFeatures), count("out_features", n.OutFeatures)
		w := take(n.Weight, false, out, in)
		l = &lrp.Dense{In: in, Out: out, W: w, B: take(n.Bias, true, out)}
	case lrp.KindConv:
		in, out := count("in_channels", n.InChannels), count("out_channels", n.OutChannels)
		g := count("groups", n.Groups)
		ks := check("kernel", n.Kernel, 2, 1)
		st := check("stride", n.Stride, 2, 1)
		dl := check("dilation", n.Dilation, 2, 1)
		p := check("padding", n.Padding, 4, 0)
		if err == nil && (in%g != 0 || out%g != 0) {
			err = d.errorf("node %q: %d groups do not divide %d input and %d output channels", short(n.Name), g, in, out)
		}
		if err != nil {
			return nil, err
		}
		w := take(n.Weight, false, out, in/g, ks[0], ks[1])
		l = &lrp.Conv2D{InC: in, OutC: out, KH: ks[0], KW: ks[1], SH: st[0], SW: st[1], DH: dl[0], DW: dl[1],
			PT: p[0], PL: p[1], PB: p[2], PR: p[3], Groups: g, W: w, B: take(n.Bias, true, out)}
	case lrp.KindMaxPool, lrp.KindAvgPool:
		ks := check("kernel", n.Kernel, 2, 1)
		st := check("stride", n.Stride, 2, 1)
		p := check("padding", n.Padding, 4, 0)
		if err != nil {
			return nil, err
		}
		if k == lrp.KindMaxPool {
			l = &lrp.MaxPool2D{KH: ks[0], KW: ks[1], SH: st[0], SW: st[1], PT: p[0], PL: p[1], PB: p[2], PR: p[3], Ceil: n.CeilMode}
		} else {
			l = &lrp.AvgPool2D{KH: ks[0], KW: ks[1], SH: st[0], SW: st[1], PT: p[0], PL: p[1], PB: p[2], PR: p[3],
				CountIncludePad: n.CountIncludePad, Ceil: n.CeilMode}
		}
	case lrp.KindBatchNorm:
		c := count("channels", n.Channels)
		if err == nil && !(n.Eps > 0 && n.Eps <= math.MaxFloat32) {
			err = d.errorf("node %q: eps %v must be positive", short(n.Name), n.Eps)
		}
		bn := &lrp.BatchNorm{Mean: take(n.Mean, false, c), Var: take(n.Var, false, c),
			Gamma: take(n.Weight, false, c), Beta: take(n.Bias, false, c), Eps: n.Eps}
		for i, v := range bn.Var {
			if v < 0 {
				err = d.errorf("node %q: running variance %d is negative (%v)", short(n.Name), i, v)
				break
			}
		}
		l = bn
	case lrp.KindSlice:
		if len(n.Range) != 3 {
			return nil, d.errorf("node %q: range has %d values, want 3 (start, stop, step)", short(n.Name), len(n.Range))
		}
		for k, lo := range []int{0, 1, 1} {
			if v := n.Range[k]; v < lo || v > maxChannels {
				return nil, d.errorf("node %q: range %v out of range [%d, %d]", short(n.Name), n.Range, lo, maxChannels)
			}
		}
		l = &lrp.Slice{Start: n.Range[0], Stop: n.Range[1], Step: n.Range[2]}
	case lrp.KindShuffle:
		l = &lrp.Shuffle{Groups: count("groups", n.Groups)}
	case lrp.KindLayerNorm:
		c := count("channels", n.Channels)
		if err == nil && !(n.Eps > 0 && n.Eps <= math.MaxFloat32) {
			err = d.errorf("node %q: eps %v must be positive", short(n.Name), n.Eps)
		}
		l = &lrp.LayerNorm{Gamma: take(n.Weight, false, c), Beta: take(n.Bias, false, c), Eps: n.Eps}
	case lrp.KindScale:
		c := count("channels", n.Channels)
		w := take(n.Weight, false, c)
		l = &lrp.Scale{W: w, B: take(n.Bias, true, c)}
	case lrp.KindReLU:
		l = &lrp.ReLU{}
	case lrp.KindReLU6:
		l = &lrp.ReLU6{}
	case lrp.KindGlobalAvgPool:
		l = &lrp.GlobalAvgPool{}
	case lrp.KindFlatten:
		l = &lrp.Flatten{}
	case lrp.KindAdd:
		l = &lrp.Add{}
	case lrp.KindConcat:
		l = &lrp.Concat{}
	case lrp.KindMul:
		l = &lrp.Mul{}
	case lrp.KindSigmoid:
		l = &lrp.Sigmoid{}
	case lrp.KindHardSigmoid:
		l = &lrp.HardSigmoid{Alpha: n.Alpha, Beta: n.Beta}
	case lrp.KindSiLU:
		l = &lrp.SiLU{}
	case lrp.KindHardSwish:
		l = &lrp.HardSwish{}
	case lrp.KindGELU:
		l = &lrp.GELU{}
	case lrp.KindLeakyReLU:
		l = &lrp.LeakyReLU{Alpha: n.Alpha}
	case lrp.KindELU:
		l = &lrp.ELU{Alpha: n.Alpha}
	case lrp.KindTanh:
		l = &lrp.Tanh{}
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// short returns s, cut to 64 bytes, for error messages about names that a
// hostile file may make arbitrarily long.
func short(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "..."
}

// marshalJSON is json.Marshal without HTML escaping, so that names and the
// model card read as written.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
