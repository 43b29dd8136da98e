package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/lrpwasm/lrp/lrp"
)

// Config sets up a training run. Zero fields take the defaults noted.
type Config struct {
	Epochs      int     // passes over the training set (10)
	Batch       int     // examples per step (64)
	LR          float64 // peak learning rate (3e-3 for Adam, 0.05 for SGD)
	Warmup      float64 // fraction of the steps spent warming up the rate (0.05)
	Optimizer   string  // "adam" (the default) or "sgd"
	Momentum    float64 // SGD momentum (0.9)
	WeightDecay float64 // decoupled weight decay on weights, not biases (0)
	Seed        uint64  // shuffling and augmentation; Net.Init takes its own
	Augment     Augment
	// Workers is the number of goroutines (0: GOMAXPROCS). The result does
	// not depend on it.
	Workers int
	// Progress, if not nil, is called after every epoch.
	Progress func(Epoch)
}

// Epoch reports one pass over the training set, measured on the augmented
// examples as they were trained on.
type Epoch struct {
	N        int // 1-based
	Loss     float64
	Accuracy float64
	LR       float64 // learning rate at the epoch's last step
	Elapsed  time.Duration
}

// shardSize is the number of examples whose gradients one goroutine sums
// before the shards are added up in order; fixing it (rather than the
// number of shards) makes the result independent of the number of cores.
const shardSize = 8

func (c *Config) defaults() {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 3e-3
		if c.Optimizer == "sgd" {
			c.LR = 0.05
		}
	}
	if c.Warmup == 0 {
		c.Warmup = 0.05
	}
	if c.Momentum == 0 {
		c.Momentum = 0.9
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
}

// Train fits n to the examples x (len(labels) inputs of the model's input
// size, back to back) by minimizing the mean softmax cross-entropy, for
// cfg.Epochs shuffled passes. Images are distorted by cfg.Augment, which
// needs a [1][H][W] input.
func (n *Net) Train(x []float32, labels []int, cfg Config) error {
	cfg.defaults()
	size, classes := n.m.InputLen(), n.m.Classes()
	count := len(labels)
	if count == 0 || len(x) != count*size {
		return fmt.Errorf("train: %d values for %d examples of %d", len(x), count, size)
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("train: label %d of example %d is not a class 0..%d", l, i, classes-1)
		}
	}
	shape := n.m.Input.Shape
	if cfg.Augment != (Augment{}) && (len(shape) != 3 || shape[0] != 1) {
		return fmt.Errorf("train: augmentation needs a one-channel image input, not shape %v", shape)
	}
	if cfg.Batch < 1 || cfg.Epochs < 1 || !(cfg.LR > 0) || !(cfg.Warmup >= 0 && cfg.Warmup < 1) {
		return fmt.Errorf("train: bad config: %d epochs, batch %d, rate %v, warmup %v", cfg.Epochs, cfg.Batch, cfg.LR, cfg.Warmup)
	}
	opt, err := newOptimizer(cfg.Optimizer, n, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return err
	}

	shards := (cfg.Batch + shardSize - 1) / shardSize
	grads := make([][]float32, shards)
	for s := range grads {
		grads[s] = make([]float32, n.size)
	}
	workers := make([]*worker, min(cfg.Workers, shards))
	for w := range workers {
		workers[w] = n.newWorker(cfg.Augment, cfg.Seed)
	}
	loss, correct := make([]float64, shards), make([]int, shards)
	g := make([]float32, n.size)

	steps := cfg.Epochs * ((count + cfg.Batch - 1) / cfg.Batch)
	order := make([]int, count)
	step := 0
	start := time.Now()
	for e := range cfg.Epochs {
		for i := range order {
			order[i] = i
		}
		rand.New(rand.NewPCG(cfg.Seed, uint64(e))).Shuffle(count, func(i, j int) {
			order[i], order[j] = order[j], order[i]
		})
		var sumLoss float64
		var sumCorrect int
		var lr float64
		for b := 0; b < count; b += cfg.Batch {
			batch := order[b:min(b+cfg.Batch, count)]
			ns := (len(batch) + shardSize - 1) / shardSize
			var wg sync.WaitGroup
			for w, wk := range workers {
				wg.Go(func() {
					for s := w; s < ns; s += len(workers) {
						ex := batch[s*shardSize : min((s+1)*shardSize, len(batch))]
						loss[s], correct[s] = wk.shard(grads[s], x, labels, ex, e)
					}
				})
			}
			wg.Wait()
			clear(g)
			for s := range ns {
				axpy(g, 1, grads[s])
				sumLoss += loss[s]
				sumCorrect += correct[s]
			}
			for k := range g {
				g[k] /= float32(len(batch))
			}
			lr = rate(step, steps, cfg.LR, cfg.Warmup)
			opt.step(n, g, lr)
			step++
		}
		if cfg.Progress != nil {
			cfg.Progress(Epoch{N: e + 1, Loss: sumLoss / float64(count), Accuracy: float64(sumCorrect) / float64(count), LR: lr, Elapsed: time.Since(start)})
		}
	}
	return nil
}

// A worker runs the examples of a shard through the net on one goroutine.
type worker struct {
	n       *Net
	t       *tape
	aug     *augmenter // nil without augmentation
	seed    uint64
	img     []float32 // the augmented example
	dlogits []float32
	pcg     *rand.PCG
	rng     *rand.Rand
}

func (n *Net) newWorker(aug Augment, seed uint64) *worker {
	pcg := rand.NewPCG(0, 0)
	w := &worker{n: n, t: n.newTape(), seed: seed, img: make([]float32, n.m.InputLen()),
		dlogits: make([]float32, n.m.Classes()), pcg: pcg, rng: rand.New(pcg)}
	if aug != (Augment{}) {
		shape := n.m.Input.Shape
		w.aug = newAugmenter(aug, shape[1], shape[2])
	}
	return w
}

// shard sets g to the summed gradient of the loss over examples ex in
// epoch e and returns the summed loss and the number classified correctly.
func (w *worker) shard(g, x []float32, labels, ex []int, e int) (loss float64, correct int) {
	clear(g)
	size := len(w.img)
	for _, i := range ex {
		src := x[i*size : (i+1)*size]
		if w.aug != nil {
			// Each example's distortion depends only on the seed, the
			// epoch and the example.
			w.pcg.Seed(w.seed^0x5eed, uint64(e)<<32|uint64(i))
			w.aug.apply(w.img, src, w.rng)
			src = w.img
		}
		z := w.n.forward(w.t, src)
		if lrp.Argmax(z) == labels[i] {
			correct++
		}
		loss += crossEntropy(w.dlogits, z, labels[i])
		w.n.backward(w.t, src, w.dlogits, g)
	}
	return loss, correct
}

// Predict returns the class that m predicts for each example of x (inputs
// back to back), running the engine's forward pass (what the explainer
// computes) on workers goroutines (0: GOMAXPROCS).
func Predict(m *lrp.Model, x []float32, workers int) ([]int, error) {
	size := m.InputLen()
	if len(x)%size != 0 {
		return nil, fmt.Errorf("train: %d values are not a whole number of inputs of %d", len(x), size)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pred := make([]int, len(x)/size)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			e := lrp.NewExplainer(m)
			for i := w; i < len(pred); i += workers {
				z, err := e.Forward(x[i*size : (i+1)*size])
				if err != nil {
					errs[w] = err
					return
				}
				pred[i] = lrp.Argmax(z)
			}
		})
	}
	wg.Wait()
	return pred, errors.Join(errs...)
}

// Accuracy counts the examples of x that m classifies as labelled (see
// Predict).
func Accuracy(m *lrp.Model, x []float32, labels []int, workers int) (correct int, err error) {
	if len(x) != len(labels)*m.InputLen() {
		return 0, fmt.Errorf("train: %d values for %d examples of %d", len(x), len(labels), m.InputLen())
	}
	pred, err := Predict(m, x, workers)
	if err != nil {
		return 0, err
	}
	for i, p := range pred {
		if p == labels[i] {
			correct++
		}
	}
	return correct, nil
}
