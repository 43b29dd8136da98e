package lrp

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counted is a Partner that counts its exchanges and the values sent.
type counted struct {
	p      Partner
	n, len atomic.Int64
}

func (c *counted) Exchange(mine, theirs []float32) error {
	c.n.Add(1)
	c.len.Add(int64(len(mine)))
	return c.p.Exchange(mine, theirs)
}

// explainBoth runs ExplainSplit on e0 and a new Explainer of m in two
// goroutines, connected by Pair, and returns their results (copied) and
// the exchanges of part 0. e0 may have explained before: its caches need
// not match the new one's.
func explainBoth(t *testing.T, e0 *Explainer, m *Model, x []float32, o Options) (r0, r1 Result, exchanges int64) {
	t.Helper()
	p0, p1 := Pair()
	c0 := &counted{p: p0}
	e1 := NewExplainer(m)
	type reply struct {
		part int
		r    Result
		err  error
	}
	done := make(chan reply, 2)
	for part, e := range []*Explainer{e0, e1} {
		p := []Partner{c0, p1}[part]
		go func() {
			r, err := e.ExplainSplit(x, o, part, p)
			if err != nil {
				done <- reply{part, Result{}, err}
				return
			}
			done <- reply{part, copyResult(r), nil}
		}()
	}
	for range 2 {
		select {
		case got := <-done:
			require.NoErrorf(t, got.err, "part %d", got.part)
			if got.part == 0 {
				r0 = got.r
			} else {
				r1 = got.r
			}
		case <-time.After(time.Minute):
			require.FailNow(t, "the halves did not finish in a minute: their exchanges do not pair up")
		}
	}
	return r0, r1, c0.n.Load()
}

func copyResult(r *Result) Result {
	c := *r
	c.Relevance = append([]float32(nil), r.Relevance...)
	c.Logits = append([]float32(nil), r.Logits...)
	return c
}

// bitsDiffer returns the number of values of got whose bits differ from
// want's, and the largest absolute difference.
func bitsDiffer(got, want []float32) (n int, worst float64) {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			n++
			worst = max(worst, math.Abs(float64(got[i])-float64(want[i])))
		}
	}
	return n, worst
}

// splitModels are models whose products take every path ExplainSplit
// splits: Winograd (the ResNet's 16- and 32-channel layers), im2col with
// stride 2, 1×1 projections, pointwise and grouped convolutions, dense
// layers, relevance below a non-overlapping max pooling (support), and
// transposed products into few channels (split by channels, their rows
// of the columns rounded out: the 3 of mixed, the ResNet's image and its
// box rule's 6) or into one (split by rows of the columns: gray).
func splitModels(t *testing.T) map[string]*Model {
	r := newRand(11)
	pw := geometry(6, 8, 1, 1)
	grouped := geometry(8, 8, 3, 3)
	grouped.Groups, grouped.PT, grouped.PL, grouped.PB, grouped.PR = 2, 1, 1, 1, 1
	c1 := geometry(3, 6, 3, 3)
	c1.PT, c1.PL, c1.PB, c1.PR = 1, 1, 1, 1
	mixed := seq(t, InputSpec{Shape: []int{3, 12, 12}, Low: 0, High: 1},
		randConv(r, c1, true), &ReLU{},
		randConv(r, pw, true), &ReLU{},
		randConv(r, grouped, true), &ReLU{},
		&MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2},
		randConv(r, geometry(8, 10, 3, 3), false), &ReLU{},
		&Flatten{}, randDense(r, 10*4*4, 20, true), &ReLU{}, randDense(r, 20, 7, true))
	g1 := geometry(1, 8, 3, 3)
	g1.PT, g1.PL, g1.PB, g1.PR = 1, 1, 1, 1
	gray := seq(t, InputSpec{Shape: []int{1, 8, 8}, Low: 0, High: 1},
		randConv(r, g1, true), &ReLU{},
		&Flatten{}, randDense(r, 8*8*8, 5, true))
	return map[string]*Model{
		"resnet-16x64": SyntheticResNet(3, 16, 64),
		"mixed":        mixed,
		"gray":         gray,
	}
}

// TestExplainSplitMatchesExplain checks that two Explainers explaining
// together get Explain's result to the bit, relevance and logits, for
// every composite and baseline, with every product split
// (splitMinWork = 0).
func TestExplainSplitMatchesExplain(t *testing.T) {
	defer func(w int) { splitMinWork = w }(splitMinWork)
	splitMinWork = 0
	methods := Methods()
	for name, m := range splitModels(t) {
		x := uniforms(newRand(5), m.InputLen(), 0, 1)
		for _, method := range methods {
			t.Run(name+"/"+method, func(t *testing.T) {
				o := Options{Method: method, Samples: 3, Steps: 4}
				// Part 0 has explained before (its caches are built),
				// part 1 has not.
				e0 := NewExplainer(m)
				r, err := e0.Explain(x, o)
				require.NoError(t, err, "Explain")
				want := copyResult(r)
				r0, r1, n := explainBoth(t, e0, m, x, o)
				require.NotZero(t, n, "no product was split")
				for part, got := range []Result{r0, r1} {
					nr, wr := bitsDiffer(got.Relevance, want.Relevance)
					nl, wl := bitsDiffer(got.Logits, want.Logits)
					assert.Truef(t, nr+nl == 0 && got.Target == want.Target,
						"part %d: %d relevance values differ (max %.3g), %d logits (max %.3g), target %d want %d",
						part, nr, wr, nl, wl, got.Target, want.Target)
				}
				t.Logf("%d exchanges, max difference 0", n)
			})
		}
	}
}

// TestSplitProducts checks SplitProducts against the exchanges of an
// explanation with ε (one per split product forward, one per split
// transposed product): none for small models.
func TestSplitProducts(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *Model
		want int
	}{
		{"mixed", splitModels(t)["mixed"], 0},
		{"resnet-32x128", SyntheticResNet(1, 32, 128), 17},
		{"resnet-18", SyntheticResNet18(1), 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.m.SplitProducts(), "SplitProducts()")
			if testing.Short() && tc.name == "resnet-18" {
				return
			}
			x := uniforms(newRand(6), tc.m.InputLen(), 0, 1)
			_, _, n := explainBoth(t, NewExplainer(tc.m), tc.m, x, Options{Method: "epsilon"})
			// Forward: the products SplitProducts counts; relevance: ε's
			// forward output is reused, and each transposed product is
			// split, the first layer's (3 input channels) by the rows of
			// its columns; none when SplitProducts is 0.
			want := int64(2 * tc.want)
			assert.Equalf(t, want, n, "%d exchanges, want %d", n, want)
		})
	}
}

// TestWinogradSplitByTiles checks that a Winograd product split by rows
// of tiles (tileRows, shareCols) equals the whole product to the bit, for
// both halves, forward and transposed (two terms, added to dst), with odd
// and even output sizes and every padding, and that the split
// exchanges once per product.
func TestWinogradSplitByTiles(t *testing.T) {
	defer func(w int) { splitMinWork = w }(splitMinWork)
	splitMinWork = 0
	r := newRand(21)
	for _, tc := range []struct{ cin, cout, h, w, pt, pl, dh, dw int }{
		{3, 5, 16, 16, 1, 1, 0, 0},
		{4, 3, 18, 15, 0, 2, -1, 1},
		{2, 6, 19, 20, 2, 0, 1, -2},
		{5, 4, 30, 9, 1, 0, 0, -1},
	} {
		c := winoConv{cin: tc.cin, cout: tc.cout, h: tc.h, w: tc.w, pt: tc.pt, pl: tc.pl}
		c.oh, c.ow = tc.h+tc.pt-2+tc.dh, tc.w+tc.pl-2+tc.dw
		require.GreaterOrEqual(t, (c.oh+1)/2, splitMinTileRows, "too few rows of tiles to split: %+v", tc)
		for _, flip := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/flip=%v", tc, flip), func(t *testing.T) {
				var ts terms
				for i := range map[bool]int{false: 1, true: 2}[flip] {
					ts[i].g = randn(r, c.cin*c.h*c.w)
					ts[i].w = randn(r, c.cout*c.cin*9)
					if flip { // the layer's w [cin][cout][3][3]
						ts[i].w = randn(r, c.cin*c.cout*9)
					}
				}
				var bias []float32
				if !flip {
					bias = randn(r, c.cout)
				}
				d0 := randn(r, c.cout*c.oh*c.ow)
				want := append([]float32(nil), d0...)
				c.run(want, ts, flip, bias, flip, &pass{}, &arena{})
				p0, p1 := Pair()
				n0 := &counted{p: p0}
				var got [2][]float32
				done := make(chan any, 2)
				for part, p := range []Partner{n0, p1} {
					got[part] = append([]float32(nil), d0...)
					go func() {
						defer func() { done <- recover() }()
						c.run(got[part], ts, flip, bias, flip, &pass{split: split{part: part, p: p}}, &arena{})
					}()
				}
				for range 2 {
					require.Nil(t, <-done)
				}
				assert.EqualValues(t, 1, n0.n.Load(), "exchanges")
				for part := range got {
					n, worst := bitsDiffer(got[part], want)
					assert.Zerof(t, n, "part %d: %d values differ (max %.3g)", part, n, worst)
				}
			})
		}
	}
}

// failing is a Partner whose exchanges fail from the k-th on.
type failing struct{ k int }

func (f *failing) Exchange(mine, theirs []float32) error {
	if f.k--; f.k < 0 {
		return errors.New("the partner stopped")
	}
	copy(theirs, make([]float32, len(theirs)))
	return nil
}

// TestExplainSplitPartnerFails checks that a partner's error ends the call
// with that error, and that the Explainer then explains correctly.
func TestExplainSplitPartnerFails(t *testing.T) {
	defer func(w int) { splitMinWork = w }(splitMinWork)
	splitMinWork = 0
	m := splitModels(t)["resnet-16x64"]
	x := uniforms(newRand(7), m.InputLen(), 0, 1)
	e := NewExplainer(m)
	for _, k := range []int{0, 3} {
		_, err := e.ExplainSplit(x, Options{}, 1, &failing{k})
		requireErr(t, err, "lrp: split explanation", "the partner stopped")
	}
	want, err := NewExplainer(m).Explain(x, Options{})
	require.NoError(t, err)
	got, err := e.Explain(x, Options{})
	require.NoError(t, err)
	n, worst := bitsDiffer(got.Relevance, want.Relevance)
	assert.Zerof(t, n, "after a failed split: %d values differ (max %.3g)", n, worst)
}

func TestExplainSplitBadArguments(t *testing.T) {
	m := splitModels(t)["mixed"]
	x := make([]float32, m.InputLen())
	p, _ := Pair()
	for _, tc := range []struct {
		part int
		p    Partner
		want string
	}{
		{2, p, "lrp: part 2 of a split explanation: want 0 or 1"},
		{-1, p, "want 0 or 1"},
		{0, nil, "lrp: a split explanation needs a partner"},
	} {
		t.Run(fmt.Sprint(tc.part, tc.p != nil), func(t *testing.T) {
			_, err := NewExplainer(m).ExplainSplit(x, Options{}, tc.part, tc.p)
			requireErr(t, err, tc.want)
		})
	}
}

// TestConvSplitByOutputRowsAndChannels checks the splits of convolutions
// through im2col against the whole products, to the bit: the forward
// product by rows of output (outRows; odd and even heights, strides 1 and
// 2, every padding), and the transposed product into few channels by
// channels (channelRows), each with one exchange of its share.
func TestConvSplitByOutputRowsAndChannels(t *testing.T) {
	defer func(w int) { splitMinWork = w }(splitMinWork)
	splitMinWork = 0
	r := newRand(23)
	for _, tc := range []struct{ cin, cout, k, s, pad, h, w int }{
		{3, 8, 3, 1, 1, 16, 16}, // flat
		{3, 8, 3, 1, 0, 17, 12},
		{3, 8, 7, 2, 3, 32, 30}, // as a ResNet's first layer
		{6, 8, 3, 2, 1, 19, 21},
		{2, 12, 3, 2, 2, 25, 18},
	} {
		l := randConv(r, geometry(tc.cin, tc.cout, tc.k, tc.k), true)
		l.SH, l.SW = tc.s, tc.s
		l.PT, l.PL, l.PB, l.PR = tc.pad, tc.pad, tc.pad, tc.pad
		in := []int{tc.cin, tc.h, tc.w}
		oh, ow := l.outSize(tc.h, tc.w)
		require.GreaterOrEqual(t, oh, splitMinTileRows, "too few rows of output to split: %+v", tc)
		x := randn(r, tc.cin*tc.h*tc.w)
		g := randn(r, tc.cout*oh*ow)
		run := func(part int, p Partner) (fwd, tr []float32) {
			ps := &pass{}
			if p != nil {
				ps.split = split{part: part, p: p}
			}
			fwd, tr = make([]float32, tc.cout*oh*ow), make([]float32, len(x))
			a := &arena{}
			l.forward(fwd, x, l.W, l.B, nil, in, ps, a)
			l.transpose(tr, term(g, l.W), false, in, ps, a)
			return fwd, tr
		}
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			wantF, wantT := run(0, nil)
			p0, p1 := Pair()
			n0 := &counted{p: p0}
			var got [2][2][]float32
			done := make(chan any, 2)
			for part, p := range []Partner{n0, p1} {
				go func() {
					defer func() { done <- recover() }()
					got[part][0], got[part][1] = run(part, p)
				}()
			}
			for range 2 {
				require.Nil(t, <-done)
			}
			assert.EqualValues(t, 2, n0.n.Load(), "exchanges")
			// Part 0 sends its rows of output, and then its channels of
			// the transposed product (half of them, rounded down).
			assert.EqualValues(t, tc.cout*(oh/2)*ow+tc.cin/2*tc.h*tc.w, n0.len.Load(), "values sent")
			for part := range got {
				nf, wf := bitsDiffer(got[part][0], wantF)
				nt, wt := bitsDiffer(got[part][1], wantT)
				assert.Truef(t, nf+nt == 0, "part %d: %d forward values differ (max %.3g), %d transposed (max %.3g)", part, nf, wf, nt, wt)
			}
		})
	}
}
