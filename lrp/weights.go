package lrp

import (
	"math"
	"slices"
	"unsafe"
)

// weights caches the modified weights ρ(W) of one layer, and the
// denominators that do not depend on the input, each computed on first use
// and reused by every call. The products that compute a cache take the
// zero pass, whatever the pass of the rule that asks for it: whole, since
// one half of a split explanation may build a cache that the other already
// has, and their exchanges would not pair up; and by the layer's fastest
// path, so that a cache's values do not depend on the rule that built it
// first.
type weights struct {
	wp, bp, wn, bn []float32 // W⁺, b⁺, W⁻, b⁻
	wu, bu, wd, bd []float32 // W + γW⁺, b + γb⁺, W + γW⁻, b + γb⁻
	gu, gd         float32   // the γ of wu and of wd
	w2, d2         []float32 // W², and W²·1 + b²
	one, d1        []float32 // ones of W's size, and 1·1
	blo, bhi       []float32 // the bounds of lt, ht and dBox
	lt, ht, dBox   []float32 // L and H in the input's shape, W⁺·L + b⁺ + W⁻·H + b⁻
	st             affine    // the layer with W⁺ and W⁻ stacked (see stacked)
	stIn           []int     // its input shape
}

// stacked returns the layer with twice the inputs whose weights are W⁺
// for the first half and W⁻ for the second, and its input shape: its
// transposed product is [W⁺ᵀg; W⁻ᵀg], both of zᴮ's products in one pass
// over g (one density scan, one sweep of g's nonzeros over rows twice as
// long, one col2im). Each entry is the sum the separate products compute,
// in the same order. It is nil for a grouped convolution, whose groups
// would interleave the halves.
func (c *weights) stacked(l affine, in []int) (affine, []int) {
	if c.st != nil {
		return c.st, c.stIn
	}
	wp, _ := c.pos(l)
	wn, _ := c.neg(l)
	switch l := l.(type) {
	case *Dense:
		// w [Out][2·In]: row o is W⁺[o] then W⁻[o].
		w := make([]float32, 2*len(wp))
		for o := range l.Out {
			copy(w[2*o*l.In:], wp[o*l.In:(o+1)*l.In])
			copy(w[(2*o+1)*l.In:], wn[o*l.In:(o+1)*l.In])
		}
		c.st, c.stIn = &Dense{In: 2 * l.In, Out: l.Out, W: w}, []int{2 * l.In}
	case *Conv2D:
		if l.Groups != 1 {
			return nil, nil
		}
		// w [OutC][2·InC][KH][KW]: the channels of W⁺[o], then of W⁻[o].
		k := l.InC * l.KH * l.KW
		w := make([]float32, 2*len(wp))
		for o := range l.OutC {
			copy(w[2*o*k:], wp[o*k:(o+1)*k])
			copy(w[(2*o+1)*k:], wn[o*k:(o+1)*k])
		}
		st := *l
		st.InC, st.W, st.B = 2*l.InC, w, nil
		c.st, c.stIn = &st, []int{2 * l.InC, in[1], in[2]}
	}
	return c.st, c.stIn
}

// signed returns v + kp·v⁺ + kn·v⁻ elementwise, with v⁺ = max(v, 0) and
// v⁻ = min(v, 0), or nil for a nil v: W⁺ is (kp, kn) = (0, −1), W⁻ is
// (−1, 0), W + γW⁺ is (γ, 0) and W + γW⁻ is (0, γ); each is exact where
// the one-term formula is. v⁺ and v⁻ come from the sign bit without a
// branch, four values per iteration: in wasm, a map with a function value
// made the caches of a ResNet-18 cost 0.6 s, and Go's float min and max
// branch there.
func signed(v []float32, kp, kn float32) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	if simdSigned(out, v, kp, kn) {
		return out
	}
	o := out
	for len(v) >= 4 && len(o) >= 4 {
		x, y := (*[4]float32)(v), (*[4]float32)(o)
		y[0] = signed1(x[0], kp, kn)
		y[1] = signed1(x[1], kp, kn)
		y[2] = signed1(x[2], kp, kn)
		y[3] = signed1(x[3], kp, kn)
		v, o = v[4:], o[4:]
	}
	for i, x := range v {
		o[i] = signed1(x, kp, kn)
	}
	return out
}

// signed1 returns x + kp·x⁺ + kn·x⁻ (see signed): the sign bit, spread
// over a mask, keeps x's bits in x⁺ or in x⁻ and zeroes the other.
func signed1(x, kp, kn float32) float32 {
	b := math.Float32bits(x)
	neg := uint32(int32(b) >> 31)
	return x + kp*math.Float32frombits(b&^neg) + kn*math.Float32frombits(b&neg)
}

// pos returns W⁺ and b⁺.
func (c *weights) pos(l affine) (wp, bp []float32) {
	if c.wp == nil {
		w, b := l.params()
		c.wp, c.bp = signed(w, 0, -1), signed(b, 0, -1)
	}
	return c.wp, c.bp
}

// neg returns W⁻ and b⁻.
func (c *weights) neg(l affine) (wn, bn []float32) {
	if c.wn == nil {
		w, b := l.params()
		c.wn, c.bn = signed(w, -1, 0), signed(b, -1, 0)
	}
	return c.wn, c.bn
}

// up returns W + γW⁺ and b + γb⁺.
func (c *weights) up(l affine, g float32) (wu, bu []float32) {
	if c.wu == nil || c.gu != g {
		w, b := l.params()
		c.wu, c.bu, c.gu = signed(w, g, 0), signed(b, g, 0), g
	}
	return c.wu, c.bu
}

// down returns W + γW⁻ and b + γb⁻.
func (c *weights) down(l affine, g float32) (wd, bd []float32) {
	if c.wd == nil || c.gd != g {
		w, b := l.params()
		c.wd, c.bd, c.gd = signed(w, 0, g), signed(b, 0, g), g
	}
	return c.wd, c.bd
}

// square returns W² and D = W²·1 + b² for inputs of shape in (n values).
func (c *weights) square(l affine, in []int, n int, a *arena) (w2, d []float32) {
	if c.w2 == nil {
		w, b := l.params()
		c.w2 = squares(w)
		c.d2 = make([]float32, numel(mustOut(l, in)))
		l.forward(c.d2, c.ones(n), c.w2, squares(b), nil, in, &pass{}, a)
	}
	return c.w2, c.d2
}

// flat returns weights of ones and D = 1·1 for inputs of shape in.
func (c *weights) flat(l affine, in []int, n int, a *arena) (w1, d []float32) {
	w, _ := l.params()
	if c.d1 == nil {
		c.d1 = make([]float32, numel(mustOut(l, in)))
		l.forward(c.d1, c.ones(n), c.ones(len(w)), nil, nil, in, &pass{}, a)
	}
	return c.ones(len(w)), c.d1
}

// mustOut is the output shape of an affine layer of a checked model.
func mustOut(l affine, in []int) []int {
	s, err := l.OutShape([][]int{in})
	if err != nil {
		panic(err)
	}
	return s
}

// squares returns v ⊙ v, or nil for a nil v.
func squares(v []float32) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	mul(out, v, v)
	return out
}

// ones returns a slice of n ones.
func (c *weights) ones(n int) []float32 {
	if len(c.one) < n {
		c.one = make([]float32, n)
		for i := range c.one {
			c.one[i] = 1
		}
	}
	return c.one[:n]
}

// box returns the tensors L and H of the layer input's shape (n values)
// filled with the per-channel bounds low and high, and W⁺·L + b⁺ + W⁻·H + b⁻.
// A flat input takes channel i·len(low)/n, as a flattened [C][H][W] tensor
// does.
func (c *weights) box(l affine, in []int, n int, low, high []float32, a *arena) (lt, ht, d []float32) {
	if len(c.lt) == n && slices.Equal(c.blo, low) && slices.Equal(c.bhi, high) {
		return c.lt, c.ht, c.dBox
	}
	c.lt, c.ht = make([]float32, n), make([]float32, n)
	c.blo, c.bhi = append([]float32(nil), low...), append([]float32(nil), high...)
	k := len(low)
	if len(in) == 3 && in[0] != k || n%k != 0 {
		k = 1 // bounds do not match the channels: use the first for all
	}
	for i := range n {
		ch := i / (n / k)
		c.lt[i], c.ht[i] = low[ch], high[ch]
	}
	wp, bp := c.pos(l)
	wn, bn := c.neg(l)
	m := numel(mustOut(l, in))
	c.dBox = make([]float32, m)
	if cv, ok := l.(*Conv2D); ok {
		lc, hc := make([]float32, in[0]), make([]float32, in[0])
		for ch := range lc {
			lc[ch], hc[ch] = c.lt[ch*in[1]*in[2]], c.ht[ch*in[1]*in[2]]
		}
		cv.constant(c.dBox, lc, hc, wp, wn, bp, bn, in[1], in[2])
		return c.lt, c.ht, c.dBox
	}
	var whole pass
	l.forward(c.dBox, c.lt, wp, bp, nil, in, &whole, a)
	t := make([]float32, m)
	l.forward(t, c.ht, wn, bn, nil, in, &whole, a)
	add(c.dBox, t)
	return c.lt, c.ht, c.dBox
}

// A wname names one of the weights a layer's products use: its own W, or
// one of the modified weights cached in weights.
type wname uint8

const (
	wPlain   wname = iota // W
	wPos                  // W⁺ (pos)
	wNeg                  // W⁻ (neg)
	wUp                   // W + γW⁺ (up)
	wDown                 // W + γW⁻ (down)
	wSquare               // W² (square)
	wOnes                 // ones of W's size (flat)
	wStacked              // W⁺ and W⁻ stacked (stacked)
	numWNames
)

// wref is the weights named w of node i, for the γ of wUp and wDown.
type wref struct {
	i     int
	w     wname
	gamma float32
}

// slice returns the weights r names as e holds them, or nil if it has not
// built them.
func (e *Explainer) slice(r wref) []float32 {
	W, _ := e.m.Nodes[r.i].Layer.(affine).params()
	c := &e.w[r.i]
	switch r.w {
	case wPlain:
		return W
	case wPos:
		return c.wp
	case wNeg:
		return c.wn
	case wUp:
		if c.gu == r.gamma {
			return c.wu
		}
	case wDown:
		if c.gd == r.gamma {
			return c.wd
		}
	case wSquare:
		return c.w2
	case wOnes:
		if len(c.one) >= len(W) {
			return c.one[:len(W)]
		}
	case wStacked:
		if c.st != nil {
			w, _ := c.st.params()
			return w
		}
	}
	return nil
}

// held returns the bytes of the caches c holds.
func (c *weights) held() int64 {
	var n int64
	for _, v := range [...][]float32{c.wp, c.bp, c.wn, c.bn, c.wu, c.bu, c.wd, c.bd, c.w2, c.d2, c.one, c.d1, c.blo, c.bhi, c.lt, c.ht, c.dBox} {
		n += alloc(bytesOf[float32](cap(v)))
	}
	if c.st != nil {
		w, _ := c.st.params()
		n += alloc(bytesOf[float32](cap(w))) + stackedBytes
	}
	return n
}

// stackedBytes is the layer that stacked makes besides its weights.
const stackedBytes = int64(unsafe.Sizeof(Conv2D{})) + 32

// wstate is what a sizer knows of one layer's weights: which caches exist
// (held by the Explainer, or built by the replay) and what they were built
// for.
type wstate struct {
	have   [numWNames]uint8 // absent, held or built
	gu, gd float32
	one    int  // len(ones)
	d2, d1 bool // square's and flat's denominators
	box    bool // lt, ht and dBox, for boxN inputs and the bounds blo, bhi
	boxN   int
	// boxHeld is set while the box terms are the Explainer's.
	boxHeld bool
	blo     []float32
	bhi     []float32
}

const (
	absent uint8 = iota
	held
	built
)

// from sets w to what c holds for layer l.
func (w *wstate) from(c *weights, l Layer) {
	on := func(v []float32) uint8 {
		if v != nil {
			return held
		}
		return absent
	}
	w.have = [numWNames]uint8{wPlain: held, wPos: on(c.wp), wNeg: on(c.wn), wUp: on(c.wu), wDown: on(c.wd), wSquare: on(c.w2)}
	if c.st != nil {
		w.have[wStacked] = held
	}
	if a, ok := l.(affine); ok {
		if W, _ := a.params(); len(c.one) >= len(W) {
			w.have[wOnes] = held
		}
	}
	w.gu, w.gd, w.one = c.gu, c.gd, len(c.one)
	w.d2, w.d1 = c.d2 != nil, c.d1 != nil
	w.box, w.boxN, w.blo, w.bhi = c.lt != nil, len(c.lt), c.blo, c.bhi
	w.boxHeld = w.box
}

// The caches of weights, as a sizer replays them: each allocates what the
// method of the same name does when its cache is missing.

func (s *sstep) state() *wstate { return &s.s.w[s.i] }

// params counts a modified copy of W and b.
func (s *sstep) params() {
	w, b := s.l.params()
	s.s.alloc(bytesOf[float32](len(w)))
	s.s.alloc(bytesOf[float32](len(b)))
}

func (s *sstep) pos() {
	if c := s.state(); c.have[wPos] == absent {
		s.params()
		c.have[wPos] = built
	}
}

func (s *sstep) neg() {
	if c := s.state(); c.have[wNeg] == absent {
		s.params()
		c.have[wNeg] = built
	}
}

func (s *sstep) up() {
	if c := s.state(); c.have[wUp] == absent || c.gu != s.gamma {
		s.params()
		s.s.replaced = s.s.replaced || c.have[wUp] == held
		c.have[wUp], c.gu = built, s.gamma
	}
}

func (s *sstep) down() {
	if c := s.state(); c.have[wDown] == absent || c.gd != s.gamma {
		s.params()
		s.s.replaced = s.s.replaced || c.have[wDown] == held
		c.have[wDown], c.gd = built, s.gamma
	}
}

func (s *sstep) square() {
	c := s.state()
	if c.have[wSquare] != absent {
		return
	}
	w, b := s.l.params()
	s.s.alloc(bytesOf[float32](len(w)))
	s.s.alloc(bytesOf[float32](s.nz))
	s.s.alloc(bytesOf[float32](len(b))) // squares(b), for the call
	c.have[wSquare], c.d2 = built, true
	s.ones(s.nx)
	s.forward(wSquare)
}

func (s *sstep) flat() {
	c := s.state()
	if c.d1 {
		return
	}
	w, _ := s.l.params()
	s.s.alloc(bytesOf[float32](s.nz))
	c.d1 = true
	s.ones(s.nx)
	s.ones(len(w))
	s.forward(wOnes)
}

// ones is weights.ones(n).
func (s *sstep) ones(n int) {
	c := s.state()
	if c.one >= n {
		return
	}
	s.s.alloc(bytesOf[float32](n))
	c.one = n
	c.have[wOnes] = absent
	if w, _ := s.l.params(); n >= len(w) {
		c.have[wOnes] = built
	}
}

// forward is the layer's whole forward product with the weights w, as
// the caches compute it.
func (s *sstep) forward(w wname) {
	if c, ok := s.l.(*Conv2D); ok {
		c.sizeForward(s.s, s.in, s.ref(w), false, false)
	}
}

func (s *sstep) box(low, high []float32) {
	c := s.state()
	if c.box && c.boxN == s.nx && slices.Equal(c.blo, low) && slices.Equal(c.bhi, high) {
		return
	}
	s.s.replaced = s.s.replaced || c.boxHeld
	c.box, c.boxHeld, c.boxN, c.blo, c.bhi = true, false, s.nx, low, high
	s.s.alloc(bytesOf[float32](s.nx)) // lt
	s.s.alloc(bytesOf[float32](s.nx)) // ht
	s.s.alloc(bytesOf[float32](len(low)))
	s.s.alloc(bytesOf[float32](len(high)))
	s.pos()
	s.neg()
	s.s.alloc(bytesOf[float32](s.nz)) // dBox
	if l, ok := s.l.(*Conv2D); ok {
		oh, ow := l.outSize(s.in[1], s.in[2])
		s.s.alloc(2 * bytesOf[float32](s.in[0]))             // lc, hc
		s.s.alloc(bytesOf[float64]((l.KH + 1) * (l.KW + 1))) // constant's prefix sums
		s.s.alloc(bytesOf[[2]int](oh))
		s.s.alloc(bytesOf[[2]int](ow))
		return
	}
	s.s.alloc(bytesOf[float32](s.nz)) // t
}

// stacked returns the stacked layer's geometry, or nil, as
// weights.stacked does, counting its weights if they are not built yet.
func (s *sstep) stacked() (affine, []int) {
	var st affine
	var in []int
	switch l := s.l.(type) {
	case *Dense:
		st, in = &Dense{In: 2 * l.In, Out: l.Out}, []int{2 * l.In}
	case *Conv2D:
		if l.Groups != 1 {
			return nil, nil
		}
		c := *l
		c.InC, c.W, c.B = 2*l.InC, nil, nil
		st, in = &c, []int{2 * l.InC, s.in[1], s.in[2]}
	}
	if c := s.state(); c.have[wStacked] == absent {
		s.pos()
		s.neg()
		w, _ := s.l.params()
		s.s.alloc(2 * bytesOf[float32](len(w)))
		s.s.bytes += stackedBytes
		c.have[wStacked] = built
	}
	return st, in
}

// constant sets dst [OutC][OH][OW] = W⁺∗L + b⁺ + W⁻∗H + b⁻ for inputs L
// and H of h×w that are constant on each channel c (lc[c] and hc[c]), as
// zᴮ's bounds are. With k[o][u][v] = Σ_c W⁺[o][c][u][v]·lc[c] +
// W⁻[o][c][u][v]·hc[c], output (i, j) is the sum of k[o] over the kernel
// taps that fall inside the input, a rectangle [u0, u1)×[v0, v1) read off
// the 2-D prefix sums of k[o] (in float64). That is KH·KW work per output
// channel and position instead of two convolutions: a ResNet-18's first
// layer takes milliseconds rather than two passes over 224×224. Rows
// with the taps of the row above (all but those near the top and bottom
// edges) copy its values: computing each of a ResNet-18's 112 rows of 64
// channels took 50 ms of its first explanation in wasm.
func (l *Conv2D) constant(dst, lc, hc, wp, wn, bp, bn []float32, h, w int) {
	oh, ow := l.outSize(h, w)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	kk := l.KH * l.KW
	s := make([]float64, (l.KH+1)*(l.KW+1)) // s[u][v] = Σ k[o][<u][<v]
	// The taps inside the input, per output row and column: the same for
	// every channel.
	rows, cols := make([][2]int, oh), make([][2]int, ow)
	for i := range rows {
		rows[i][0], rows[i][1] = span(i*l.SH-l.PT, l.DH, h, l.KH) // taps u with i·SH + u·DH − PT in [0, h)
	}
	for j := range cols {
		cols[j][0], cols[j][1] = span(j*l.SW-l.PL, l.DW, w, l.KW)
	}
	for o := range l.OutC {
		g := o / og
		clear(s)
		for u := range l.KH {
			for v := range l.KW {
				var k float64
				for c := range cg {
					t := (o*cg+c)*kk + u*l.KW + v
					k += float64(wp[t])*float64(lc[g*cg+c]) + float64(wn[t])*float64(hc[g*cg+c])
				}
				s[(u+1)*(l.KW+1)+v+1] = k + s[u*(l.KW+1)+v+1] + s[(u+1)*(l.KW+1)+v] - s[u*(l.KW+1)+v]
			}
		}
		var b float64
		if bp != nil {
			b = float64(bp[o]) + float64(bn[o])
		}
		for i, u := range rows {
			out := dst[(o*oh+i)*ow : (o*oh+i+1)*ow]
			if i > 0 && u == rows[i-1] { // the same taps as the row above: its values
				copy(out, dst[(o*oh+i-1)*ow:(o*oh+i)*ow])
				continue
			}
			s0, s1 := s[u[0]*(l.KW+1):], s[u[1]*(l.KW+1):]
			for j, v := range cols {
				r := b
				if u[0] < u[1] && v[0] < v[1] {
					r += s1[v[1]] - s0[v[1]] - s1[v[0]] + s0[v[0]]
				}
				out[j] = float32(r)
			}
		}
	}
}
