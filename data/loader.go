package data

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/robustlab/robustlab/tensor"
)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	// BatchSize is the number of examples per batch (> 0).
	BatchSize int
	// Shuffle visits the examples in a random order that depends only on
	// Seed and the epoch; otherwise in index order.
	Shuffle bool
	// Seed seeds the order and every random transform.
	Seed uint64
	// DropLast drops a last batch smaller than BatchSize.
	DropLast bool
	// Workers is the number of goroutines that read and transform examples;
	// 0 means GOMAXPROCS. The batches are the same for every value.
	Workers int
	// Prefetch is how many batches may be ready or in progress ahead of the
	// consumer; 0 means 2 per worker.
	Prefetch int
	// Transforms are applied to each example in order.
	Transforms []Transform
}

// Batch is a batch of examples in NCHW layout.
type Batch struct {
	// Images is [N, C, H, W] with values in [0, 1].
	Images *tensor.Tensor
	// Labels holds N class indices.
	Labels []int
	// Masks is [N, 1, H, W] (1 on the object) if the set has masks, else nil.
	Masks *tensor.Tensor
	// Factors holds each example's factor values (Info.FactorNames), or nil.
	Factors [][]int
	// Indices are the examples' indices in the data set.
	Indices []int

	full *batchBuffers
	free chan *batchBuffers
}

// batchBuffers is the full-size storage a Batch views; reused across batches.
type batchBuffers struct {
	images, masks *tensor.Tensor
	labels        []int
	factors       [][]int
	flatFactors   []int
	indices       []int
}

// Release hands the batch's memory back to its epoch for reuse. The batch
// must not be used afterwards. Calling it is optional (without it, batches
// are garbage-collected).
func (b *Batch) Release() {
	if b.full == nil {
		return
	}
	select {
	case b.free <- b.full:
	default:
	}
	b.full = nil
}

// Loader batches a Dataset: it shuffles by seed and epoch, reads and
// transforms examples on several goroutines ahead of the consumer, and
// returns batches in a fixed order. Each example's random transforms draw
// from a generator seeded by (seed, epoch, example index), so the batches are
// bit-identical for any number of workers and any scheduling, and an epoch
// can be replayed alone (resuming at an epoch boundary).
type Loader struct {
	ds            Dataset
	opt           LoaderOptions
	info          Info
	c, h, w       int
	stages        [][2]int // size after each transform
	nFactors      int
	batches, last int
}

// NewLoader checks the options against the data set and returns a loader.
func NewLoader(ds Dataset, opt LoaderOptions) (*Loader, error) {
	info := ds.Info()
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("loader for %s: batch size %d must be positive", info.Name, opt.BatchSize)
	}
	if opt.Workers < 0 || opt.Prefetch < 0 {
		return nil, fmt.Errorf("loader for %s: workers (%d) and prefetch (%d) must not be negative", info.Name, opt.Workers, opt.Prefetch)
	}
	if opt.Workers == 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Prefetch == 0 {
		opt.Prefetch = 2 * opt.Workers
	}
	l := &Loader{ds: ds, opt: opt, info: info, c: info.Channels, h: info.Height, w: info.Width, nFactors: len(info.FactorNames)}
	for _, t := range opt.Transforms {
		oh, ow, err := t.OutSize(l.h, l.w)
		if err != nil {
			return nil, fmt.Errorf("loader for %s: %w", info.Name, err)
		}
		l.h, l.w = oh, ow
		l.stages = append(l.stages, [2]int{oh, ow})
	}
	n := ds.Len()
	l.batches, l.last = n/opt.BatchSize, n%opt.BatchSize
	if l.last > 0 && !opt.DropLast {
		l.batches++
	} else {
		l.last = 0
	}
	return l, nil
}

// Batches is the number of batches in one epoch.
func (l *Loader) Batches() int { return l.batches }

// Shape returns the C, H, W of the images the loader produces (after the
// transforms).
func (l *Loader) Shape() (c, h, w int) { return l.c, l.h, l.w }

// Info describes the underlying data set.
func (l *Loader) Info() Info { return l.info }

// Order returns the example indices of an epoch in visiting order. It
// depends only on the seed, the epoch and the set's length.
func (l *Loader) Order(epoch int) []int {
	n := l.ds.Len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if l.opt.Shuffle {
		rng := tensor.NewRNG(mix(l.opt.Seed, 0x6f72646572, uint64(epoch)))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// mix hashes its arguments into a 64-bit seed (SplitMix64 finalizer
// applied after each word), so that nearby (seed, epoch, index) triples give
// unrelated generators.
func mix(words ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, w := range words {
		h ^= w
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// Epoch is one pass over the data set in progress. Call Next until it
// returns io.EOF, and Close when done (also to stop early): Close stops and
// waits for every goroutine the epoch started.
type Epoch struct {
	l      *Loader
	epoch  int
	order  []int
	ctx    context.Context
	cancel context.CancelFunc
	slots  []chan result
	tokens chan struct{}
	free   chan *batchBuffers
	wg     sync.WaitGroup
	next   int
	err    error
}

type result struct {
	b   *Batch
	err error
}

// Epoch starts reading epoch number epoch (0-based). Cancelling ctx stops
// it like Close.
func (l *Loader) Epoch(ctx context.Context, epoch int) *Epoch {
	ctx, cancel := context.WithCancel(ctx)
	e := &Epoch{l: l, epoch: epoch, order: l.Order(epoch), ctx: ctx, cancel: cancel,
		slots:  make([]chan result, l.opt.Prefetch),
		tokens: make(chan struct{}, l.opt.Prefetch),
		free:   make(chan *batchBuffers, l.opt.Prefetch+2)}
	for i := range e.slots {
		e.slots[i] = make(chan result, 1)
	}
	// Batch k goes to slot k mod Prefetch. A token is taken before batch k is
	// handed out and returned when the consumer has received it, so at most
	// Prefetch consecutive batches are outstanding and no two share a slot.
	jobs := make(chan int)
	e.wg.Add(1 + l.opt.Workers)
	go func() {
		defer e.wg.Done()
		defer close(jobs)
		for k := 0; k < l.batches; k++ {
			select {
			case e.tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < l.opt.Workers; w++ {
		go func() {
			defer e.wg.Done()
			wk := newWorker(l, epoch)
			for k := range jobs {
				b, err := wk.fill(ctx, e, k)
				select {
				case e.slots[k%len(e.slots)] <- result{b, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	return e
}

// Next returns the next batch in order, or io.EOF after the last one. After
// an error, every later call returns the same error.
func (e *Epoch) Next() (*Batch, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.next >= e.l.batches {
		e.err = io.EOF
		return nil, e.err
	}
	select {
	case r := <-e.slots[e.next%len(e.slots)]:
		<-e.tokens
		e.next++
		if r.err != nil {
			e.err = r.err
			e.Close()
			return nil, r.err
		}
		return r.b, nil
	case <-e.ctx.Done():
		e.err = e.ctx.Err()
		return nil, e.err
	}
}

// Close stops the epoch's goroutines and waits for them to exit. It is safe
// to call more than once.
func (e *Epoch) Close() {
	e.cancel()
	e.wg.Wait()
}

// worker holds one goroutine's scratch buffers and generator.
type worker struct {
	l       *Loader
	epoch   int
	ex      Example
	pcg     *rand.PCG
	rng     *rand.Rand
	bufA    []float32
	bufB    []float32
	maskA   []float32
	maskB   []float32
	factors []int
}

func newWorker(l *Loader, epoch int) *worker {
	pcg := rand.NewPCG(0, 0)
	return &worker{l: l, epoch: epoch, pcg: pcg, rng: rand.New(pcg)}
}

func (wk *worker) fill(ctx context.Context, e *Epoch, k int) (*Batch, error) {
	l := wk.l
	lo := k * l.opt.BatchSize
	hi := min(lo+l.opt.BatchSize, len(e.order))
	n := hi - lo
	var full *batchBuffers
	select {
	case full = <-e.free:
	default:
		full = l.newBuffers()
	}
	b := &Batch{
		Images:  full.images.Slice(0, n),
		Labels:  full.labels[:n],
		Indices: full.indices[:n],
		full:    full,
		free:    e.free,
	}
	if full.masks != nil {
		b.Masks = full.masks.Slice(0, n)
	}
	if full.factors != nil {
		b.Factors = full.factors[:n]
	}
	per := l.c * l.h * l.w
	for j := 0; j < n; j++ {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		idx := e.order[lo+j]
		img := b.Images.Data()[j*per : (j+1)*per]
		var mask []float32
		if b.Masks != nil {
			mask = b.Masks.Data()[j*l.h*l.w : (j+1)*l.h*l.w]
		}
		if err := wk.example(idx, img, mask); err != nil {
			return nil, err
		}
		b.Labels[j] = wk.ex.Label
		b.Indices[j] = idx
		if b.Factors != nil {
			if len(wk.ex.Factors) != l.nFactors {
				return nil, fmt.Errorf("%s: example %d has %d factors, the set declares %d", l.info.Name, idx, len(wk.ex.Factors), l.nFactors)
			}
			copy(b.Factors[j], wk.ex.Factors)
		}
	}
	return b, nil
}

func (l *Loader) newBuffers() *batchBuffers {
	bs := l.opt.BatchSize
	f := &batchBuffers{images: tensor.New(bs, l.c, l.h, l.w), labels: make([]int, bs), indices: make([]int, bs)}
	if l.info.HasMask {
		f.masks = tensor.New(bs, 1, l.h, l.w)
	}
	if l.nFactors > 0 {
		f.flatFactors = make([]int, bs*l.nFactors)
		f.factors = make([][]int, bs)
		for i := range f.factors {
			f.factors[i] = f.flatFactors[i*l.nFactors : (i+1)*l.nFactors]
		}
	}
	return f
}

// example reads example idx, runs the transforms and writes the result into
// img (and mask, when non-nil).
func (wk *worker) example(idx int, img, mask []float32) error {
	l := wk.l
	if err := l.ds.Get(idx, &wk.ex); err != nil {
		return err
	}
	info := l.info
	if len(wk.ex.Image) != info.Channels*info.Height*info.Width {
		return fmt.Errorf("%s: example %d has %d values, want %dx%dx%d", info.Name, idx, len(wk.ex.Image), info.Channels, info.Height, info.Width)
	}
	if mask != nil && len(wk.ex.Mask) != info.Height*info.Width {
		return fmt.Errorf("%s: example %d has a mask of %d values, want %dx%d", info.Name, idx, len(wk.ex.Mask), info.Height, info.Width)
	}
	if len(l.opt.Transforms) == 0 {
		copy(img, wk.ex.Image)
		copy(mask, wk.ex.Mask)
		return nil
	}
	wk.pcg.Seed(mix(l.opt.Seed, uint64(wk.epoch)), mix(uint64(idx), 0x7472616e73666f72))
	src := Image{C: l.c, H: info.Height, W: info.Width, Pix: wk.ex.Image}
	var srcMask Image
	if mask != nil {
		srcMask = Image{C: 1, H: info.Height, W: info.Width, Pix: wk.ex.Mask}
	}
	for s, t := range l.opt.Transforms {
		h, w := l.stages[s][0], l.stages[s][1]
		last := s == len(l.opt.Transforms)-1
		dst := Image{C: l.c, H: h, W: w}
		dstMask := Image{C: 1, H: h, W: w}
		if last {
			dst.Pix = img
			dstMask.Pix = mask
		} else {
			// Ping-pong between two scratch buffers.
			if s%2 == 0 {
				wk.bufA = growSlice(wk.bufA, l.c*h*w)
				dst.Pix = wk.bufA
				if mask != nil {
					wk.maskA = growSlice(wk.maskA, h*w)
					dstMask.Pix = wk.maskA
				}
			} else {
				wk.bufB = growSlice(wk.bufB, l.c*h*w)
				dst.Pix = wk.bufB
				if mask != nil {
					wk.maskB = growSlice(wk.maskB, h*w)
					dstMask.Pix = wk.maskB
				}
			}
		}
		t.Apply(wk.rng, src, dst, srcMask, dstMask)
		src, srcMask = dst, dstMask
	}
	return nil
}
