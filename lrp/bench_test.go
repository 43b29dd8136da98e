package lrp_test

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
	"github.com/stretchr/testify/require"
)

// Benchmarks of the engine: the fixture cnn (an MNIST-size model) and a
// synthetic ResNet-18 at 224×224. Run with
//
//	go test ./lrp/ -run '^$' -bench . -count 5
//
// Setup (model, input, first call) is outside the timer; the reported
// figure is the steady state of one Explainer.

// fixtureCNN returns the fixture cnn and its first case input.
func fixtureCNN(tb testing.TB) (*lrp.Model, []float32) {
	tb.Helper()
	c, err := parity.ReadCase(refdata.Path(tb, "cnn.cases.json"))
	require.NoError(tb, err)
	m, _, err := parity.LoadModel(refdata.Path(tb, "."), "cnn", parity.LayersJSON)
	require.NoError(tb, err)
	return m, c.Inputs[0]
}

var resnet = sync.OnceValue(func() *lrp.Model { return lrp.SyntheticResNet18(1) })

// imageInput returns a random image of m's input shape: pixels uniform in
// the pixel range, normalized as the model asks.
func imageInput(m *lrp.Model, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	in := m.Input
	x := make([]float32, m.InputLen())
	for i := range x {
		v := in.Low + (in.High-in.Low)*r.Float32()
		if in.Mean != nil {
			c := i * len(in.Mean) / len(x)
			v = (v - in.Mean[c]) / in.Std[c]
		}
		x[i] = v
	}
	return x
}

func benchExplain(b *testing.B, m *lrp.Model, x []float32, method string) {
	e := lrp.NewExplainer(m)
	o := lrp.Options{Method: method}
	_, err := e.Explain(x, o)
	require.NoError(b, err)
	b.ReportAllocs()
	defer reportMem(b)
	defer reportCPU(b, lrp.CPUTime())
	for b.Loop() {
		if _, err := e.Explain(x, o); err != nil {
			b.Fatal(err)
		}
	}
}

func benchForward(b *testing.B, m *lrp.Model, x []float32) {
	e := lrp.NewExplainer(m)
	_, err := e.Forward(x)
	require.NoError(b, err)
	b.ReportAllocs()
	defer reportCPU(b, lrp.CPUTime())
	for b.Loop() {
		if _, err := e.Forward(x); err != nil {
			b.Fatal(err)
		}
	}
}

// reportMem reports the memory the Go runtime holds from the system (in
// wasm: the size of linear memory, which never shrinks), a bound on the
// peak the benchmark needed.
func reportMem(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
}

// reportCPU reports the process CPU time per op since t0, when known.
func reportCPU(b *testing.B, t0 time.Duration) {
	if t := lrp.CPUTime(); t > 0 {
		b.ReportMetric(float64(t-t0)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkCNNExplainEpsilonGammaBox(b *testing.B) {
	m, x := fixtureCNN(b)
	benchExplain(b, m, x, "epsilon_gamma_box")
}

func BenchmarkCNNForward(b *testing.B) {
	m, x := fixtureCNN(b)
	benchForward(b, m, x)
}

func BenchmarkResNet18Forward(b *testing.B) { benchForward(b, resnet(), imageInput(resnet(), 1)) }

func BenchmarkResNet18ExplainEpsilon(b *testing.B) {
	benchExplain(b, resnet(), imageInput(resnet(), 1), "epsilon")
}

func BenchmarkResNet18ExplainEpsilonGammaBox(b *testing.B) {
	benchExplain(b, resnet(), imageInput(resnet(), 1), "epsilon_gamma_box")
}

// BenchmarkResNet18ExplainSplit is epsilon_gamma_box explained by two
// Explainers together (ExplainSplit), each in its own goroutine, as two
// Workers of a page do in wasm (scripts/bench.mjs --split).
func BenchmarkResNet18ExplainSplit(b *testing.B) {
	m, x := resnet(), imageInput(resnet(), 1)
	o := lrp.Options{Method: "epsilon_gamma_box"}
	p0, p1 := lrp.Pair()
	e0, e1 := lrp.NewExplainer(m), lrp.NewExplainer(m)
	start, done := make(chan bool), make(chan error)
	go func() {
		for range start {
			_, err := e1.ExplainSplit(x, o, 1, p1)
			done <- err
		}
	}()
	defer close(start)
	both := func() {
		start <- true
		_, err := e0.ExplainSplit(x, o, 0, p0)
		if err1 := <-done; err == nil {
			err = err1
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	both()
	b.ReportAllocs()
	defer reportMem(b)
	defer reportCPU(b, lrp.CPUTime())
	for b.Loop() {
		both()
	}
}

// BenchmarkResNet18DecodeF16 decodes the float16 safetensors file of the
// synthetic ResNet-18 (23 MB): the load cost a page pays before explaining.
func BenchmarkResNet18DecodeF16(b *testing.B) {
	data, err := model.EncodeSafetensors(resnet(), nil, "F16")
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := model.DecodeSafetensors(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResNet18Prepare builds an Explainer of the synthetic ResNet-18
// and the caches of epsilon_gamma_box (Prepare): the part of a page's
// model load that follows the decode.
func BenchmarkResNet18Prepare(b *testing.B) {
	m := resnet()
	o := lrp.Options{Method: "epsilon_gamma_box"}
	b.ReportAllocs()
	defer reportMem(b)
	for b.Loop() {
		e := lrp.NewExplainer(m)
		if err := e.Prepare(o); err != nil {
			b.Fatal(err)
		}
		e.Release()
	}
}
