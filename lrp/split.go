package lrp

import (
	"errors"
	"fmt"
)

// A Partner is the other half of a split explanation (ExplainSplit):
// another Explainer with the same model, running the same call at the same
// time, usually in another wasm instance (a Worker) or another goroutine.
type Partner interface {
	// Exchange sends mine, this half's part of a product (its rows, or
	// its columns packed row after row), to the partner, and fills theirs
	// with the partner's part of the same product. It returns once theirs
	// is written and mine may change again, or with an error if the
	// partner failed.
	Exchange(mine, theirs []float32) error
}

// ExplainSplit is Explain computed by two Explainers together, each in its
// own goroutine or wasm instance: this one is part 0 or 1, and p connects
// it to the other, which must make the same call (same model, input and
// options) with the other part. Each computes half of every large
// product, the forward and transposed products of the convolutions and
// dense layers (splitMinWork), and they exchange their halves
// (Partner.Exchange) before either reads the product; the rest, the
// elementwise steps and the small products, both compute whole. A half
// is half of the rows of tiles of a Winograd product with enough of them
// (tileRows: each half transforms and packs only its tiles' input), half
// of the rows of output of a forward product through im2col with enough
// of them (outRows: each half im2cols and packs only its columns),
// otherwise half of the rows: the output channels, or the input channels
// of a transposed product, with too few of those (an image's) their rows
// of its im2col columns (channelRows). Each value is computed as Explain
// computes it, so both get Explain's result to the bit (docs/SPEED.md
// has the times).
//
// An error from the partner ends the call with that error; the Explainer
// stays usable.
func (e *Explainer) ExplainSplit(x []float32, o Options, part int, p Partner) (res *Result, err error) {
	if part != 0 && part != 1 {
		return nil, fmt.Errorf("lrp: part %d of a split explanation: want 0 or 1", part)
	}
	if p == nil {
		return nil, errors.New("lrp: a split explanation needs a partner")
	}
	e.split = split{part: part, p: p}
	defer func() {
		e.split = split{}
		if r := recover(); r != nil {
			f, ok := r.(splitFailure)
			if !ok {
				panic(r)
			}
			res, err = nil, fmt.Errorf("lrp: split explanation: %w", f.err)
		}
	}()
	return e.Explain(x, o)
}

// split is the half of the large products that an Explainer computes in
// ExplainSplit; its zero value (no partner) computes them whole. The
// Explainer holds it for the call (Explainer.split), and each pass that
// may split takes it as one of its settings (pass.split).
type split struct {
	part int
	p    Partner
}

// splitAlign is the multiple of rows at which rows splits a product, so
// that each half's rows fall into the same groups of rows as the whole
// product's, and sum in the same order: the gemm's micro-tiles (mr rows)
// and the matrix-vector product's groups of four (gemvRows).
const splitAlign = 4

// splitFailure carries a Partner's error up through the kernels to
// ExplainSplit, which recovers it.
type splitFailure struct{ err error }

// splitMinWork is the fewest multiply-adds of a product that ExplainSplit
// splits: 2²² take about 0.6 ms in wasm, and an exchange between two
// Workers costs 0.1–0.5 ms (docs/SPEED.md). The fixture cnn's products
// are all smaller.
var splitMinWork = 1 << 22

// rows returns the rows lo ≤ i < hi of a product of m rows and work
// multiply-adds that this half computes: all of them when p does not
// split or the product is small, otherwise the first or the second half,
// split at a multiple of splitAlign.
func (p *pass) rows(m, work int) (lo, hi int) {
	s := &p.split
	if s.p == nil || !splits(m, work) {
		return 0, m
	}
	h := m / 2 / splitAlign * splitAlign
	if s.part == 0 {
		return 0, h
	}
	return h, m
}

// outRows returns the output rows r0 ≤ i < r1 of a convolution's
// forward product through im2col, of oh rows of output, m output channels
// and work multiply-adds, that this half computes: all of them when p
// does not split, the product is small or it has fewer than
// splitMinTileRows rows of output (then rows may split its channels),
// otherwise the first or the second half. Each half im2cols and packs
// only its columns of the product (those of its output rows), and each
// column is summed alone, in the same order as in the whole product.
func (p *pass) outRows(oh, m, work int) (r0, r1 int) {
	s := &p.split
	if s.p == nil || !splits(m, work) || oh < splitMinTileRows {
		return 0, oh
	}
	if s.part == 0 {
		return 0, oh / 2
	}
	return oh / 2, oh
}

// channelRows returns the channels lo ≤ c < hi of a transposed
// convolution's result that this half computes (the col2im of their rows
// of cols) and the rows klo ≤ r < khi of its columns cols [cg·kk][P] that
// it computes for them, for a product of cg channels of kk rows each and
// work multiply-adds that has too few channels to split by rows: when p
// splits the product and cg ≥ 2, the first or the second half of the
// channels, and their rows rounded out to multiples of splitAlign (the
// halves both compute the few rows around the boundary, each in the same
// group of rows as the whole product); with one channel, all of it and
// half of the rows (rows), which the halves exchange before col2im.
func (p *pass) channelRows(cg, kk, work int) (lo, hi, klo, khi int) {
	k := cg * kk
	if p.split.p == nil || !splits(k, work) || cg < 2 {
		klo, khi = p.rows(k, work)
		return 0, cg, klo, khi
	}
	if p.split.part == 0 {
		lo, hi = 0, cg/2
	} else {
		lo, hi = cg/2, cg
	}
	klo = lo * kk / splitAlign * splitAlign
	khi = min((hi*kk+splitAlign-1)/splitAlign*splitAlign, k)
	return lo, hi, klo, khi
}

// splits reports whether a product of m rows and work multiply-adds is
// split.
func splits(m, work int) bool { return work >= splitMinWork && m >= 2*splitAlign }

// SplitProducts returns how many products of the forward pass of m
// ExplainSplit splits (the relevance pass splits as many again, or more):
// with none, a split explanation costs two Workers the time of one, plus
// its exchanges. A page splits only models that have some.
func (m *Model) SplitProducts() int {
	n := 0
	for _, nd := range m.Nodes {
		in := m.Shape(nd.Inputs[0])
		switch l := nd.Layer.(type) {
		case *Dense:
			if splits(l.Out, l.Out*l.In) {
				n++
			}
		case *Conv2D:
			oh, ow := l.outSize(in[1], in[2])
			work := l.OutC * oh * ow * l.InC * l.KH * l.KW // as Conv2D.forward
			if l.winograd(in[1], in[2]) {
				work = 16 * l.OutC * l.InC * ((oh + 1) / 2) * ((ow + 1) / 2) // as winoConv.run
			}
			if l.Groups == 1 && splits(l.OutC, work) {
				n++
			}
		}
	}
	return n
}

// splitMinTileRows is the fewest rows of tiles of a Winograd product
// that ExplainSplit splits by rows of tiles (tileRows) rather than by
// output channels (rows): with fewer, the halves' tiles would differ by
// a row of tiles in 7 (ResNet-18's 14×14 layers) and the products would be
// narrow. Splitting by tiles spares each half the other half's input
// transforms and packing of the transformed input, which a split by
// channels computes on both.
const splitMinTileRows = 8

// tileRows returns the rows of tiles i0 ≤ i < i1 of a Winograd product of
// th rows of tiles and work multiply-adds that this half computes: all of
// them when p does not split, the product is small or it has fewer than
// splitMinTileRows rows of tiles (then rows may split its channels),
// otherwise the first or the second half. Each tile is computed from its
// own input block, to the bit as in the whole product, and each column of
// the products (a tile) is summed alone, in the same order.
func (p *pass) tileRows(th, work int) (i0, i1 int) {
	s := &p.split
	if s.p == nil || work < splitMinWork || th < splitMinTileRows {
		return 0, th
	}
	if s.part == 0 {
		return 0, th / 2
	}
	return th / 2, th
}

// shareCols completes the columns of a product that this half computed
// for the columns lo ≤ j < hi: x holds m rows of n floats, and the
// partner computed the other columns. The columns of a row are not
// contiguous with the next row's, so each half copies its own into the
// arena's staging buffer, exchanges it (Partner.Exchange) and copies the
// partner's out of it. It does nothing when [lo, hi) is all of the
// columns.
func (p *pass) shareCols(x []float32, m, n, lo, hi int, a *arena) {
	if lo == 0 && hi == n {
		return
	}
	w := hi - lo // mine per row; the partner's are n − w
	st := grow(&a.stage, m*n)
	mine, theirs := st[:m*w], st[m*w:m*n]
	for i := range m {
		copy(mine[i*w:(i+1)*w], x[i*n+lo:i*n+hi])
	}
	if err := p.split.p.Exchange(mine, theirs); err != nil {
		panic(splitFailure{err})
	}
	// The partner's columns of a row are those before lo and after hi.
	for i := range m {
		row, t := x[i*n:(i+1)*n], theirs[i*(n-w):(i+1)*(n-w)]
		copy(row[:lo], t[:lo])
		copy(row[hi:], t[lo:])
	}
}

// share completes the rows of a product that rows split: x holds m rows
// of n floats, of which this half computed lo ≤ i < hi, and the partner
// the others. It does nothing when [lo, hi) is all of the rows.
func (p *pass) share(x []float32, lo, hi, m, n int) {
	if lo == 0 && hi == m {
		return
	}
	mine, theirs := x[lo*n:hi*n], x[hi*n:m*n]
	if lo > 0 {
		theirs = x[:lo*n]
	}
	if err := p.split.p.Exchange(mine, theirs); err != nil {
		panic(splitFailure{err})
	}
}

// Pair returns two connected Partners, for two Explainers that explain
// together in two goroutines of one process (ExplainSplit with part 0
// and the first, part 1 and the second). Their exchanges copy between
// the two, without allocating.
func Pair() (Partner, Partner) {
	a, b := make(chan []float32), make(chan []float32)
	return &pairEnd{out: a, in: b}, &pairEnd{out: b, in: a}
}

// pairEnd is one end of Pair: it sends its rows on out, and receives the
// other end's on in. Each exchange is a handshake, the rows sent and then
// nil as the sign that the other end has copied them.
type pairEnd struct {
	out chan<- []float32
	in  <-chan []float32
}

func (p *pairEnd) Exchange(mine, theirs []float32) error {
	var got []float32
	select { // whichever end is ready first
	case p.out <- mine:
		got = <-p.in
	case got = <-p.in:
		p.out <- mine
	}
	var err error
	if len(got) != len(theirs) {
		err = fmt.Errorf("the partner sent %d values, want %d: is it explaining the same call?", len(got), len(theirs))
	} else {
		copy(theirs, got)
	}
	// Both have copied once both have received the other's done.
	select {
	case p.out <- nil:
		<-p.in
	case <-p.in:
		p.out <- nil
	}
	return err
}
