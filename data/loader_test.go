package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// readEpoch collects every batch of one epoch, copied.
func readEpoch(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	e := l.Epoch(context.Background(), epoch)
	defer e.Close()
	var out []*Batch
	for {
		b, err := e.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c := &Batch{Images: b.Images.Clone(), Labels: slices.Clone(b.Labels), Indices: slices.Clone(b.Indices)}
		if b.Masks != nil {
			c.Masks = b.Masks.Clone()
		}
		for _, f := range b.Factors {
			c.Factors = append(c.Factors, slices.Clone(f))
		}
		b.Release()
		out = append(out, c)
	}
}

func sameBatches(a, b []*Batch) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d batches vs %d", len(a), len(b))
	}
	for k := range a {
		if !slices.Equal(a[k].Indices, b[k].Indices) || !slices.Equal(a[k].Labels, b[k].Labels) {
			return fmt.Errorf("batch %d: indices or labels differ", k)
		}
		if !slices.Equal(a[k].Images.Data(), b[k].Images.Data()) {
			return fmt.Errorf("batch %d: images differ", k)
		}
		if (a[k].Masks == nil) != (b[k].Masks == nil) || a[k].Masks != nil && !slices.Equal(a[k].Masks.Data(), b[k].Masks.Data()) {
			return fmt.Errorf("batch %d: masks differ", k)
		}
		for j := range a[k].Factors {
			if !slices.Equal(a[k].Factors[j], b[k].Factors[j]) {
				return fmt.Errorf("batch %d: factors differ", k)
			}
		}
	}
	return nil
}

func smallShapes(t *testing.T, n int) *Shapes {
	t.Helper()
	s, err := NewShapes(ShapesOptions{Split: SplitTrain, N: n, P: 0.5, PSet: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var augment = []Transform{RandomCrop{Height: 32, Width: 32, Padding: 4}, HorizontalFlip{P: 0.5}, Resize{Height: 24, Width: 24, Method: Area}}

func TestLoaderParallelEqualsSerial(t *testing.T) {
	ds := smallShapes(t, 203)
	serial, err := NewLoader(ds, LoaderOptions{BatchSize: 16, Shuffle: true, Seed: 7, Workers: 1, Prefetch: 1, Transforms: augment})
	if err != nil {
		t.Fatal(err)
	}
	parallel, err := NewLoader(ds, LoaderOptions{BatchSize: 16, Shuffle: true, Seed: 7, Workers: 5, Prefetch: 3, Transforms: augment})
	if err != nil {
		t.Fatal(err)
	}
	a, b := readEpoch(t, serial, 2), readEpoch(t, parallel, 2)
	if err := sameBatches(a, b); err != nil {
		t.Fatal("1 worker vs 5 workers:", err)
	}
	if len(a) != 13 || len(a[12].Labels) != 203-12*16 {
		t.Fatalf("got %d batches, last of %d", len(a), len(a[len(a)-1].Labels))
	}
	if c, h, w := parallel.Shape(); a[0].Images.CheckShape("test", 16, c, h, w) != nil || c != 3 || h != 24 || w != 24 {
		t.Fatalf("batch shape %v, loader says %d %d %d", a[0].Images.Shape(), c, h, w)
	}
	if a[0].Masks.CheckShape("test", 16, 1, 24, 24) != nil {
		t.Fatalf("mask shape %v", a[0].Masks.Shape())
	}
}

func TestLoaderOrderDependsOnSeedAndEpochOnly(t *testing.T) {
	ds := smallShapes(t, 500)
	l1, _ := NewLoader(ds, LoaderOptions{BatchSize: 32, Shuffle: true, Seed: 3})
	l2, _ := NewLoader(ds, LoaderOptions{BatchSize: 7, Shuffle: true, Seed: 3, Workers: 3})
	o0 := l1.Order(0)
	if !slices.Equal(o0, l2.Order(0)) {
		t.Fatal("same seed and epoch, different order")
	}
	if slices.Equal(o0, l1.Order(1)) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	l3, _ := NewLoader(ds, LoaderOptions{BatchSize: 32, Shuffle: true, Seed: 4})
	if slices.Equal(o0, l3.Order(0)) {
		t.Fatal("seeds 3 and 4 give the same order")
	}
	sorted := slices.Clone(o0)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("order is not a permutation: %v", sorted[:10])
		}
	}
	plain, _ := NewLoader(ds, LoaderOptions{BatchSize: 32})
	for i, v := range plain.Order(5) {
		if v != i {
			t.Fatal("unshuffled order is not 0..n-1")
		}
	}
}

func TestLoaderEpochReplaysAlone(t *testing.T) {
	// Resuming at an epoch boundary: epoch 3 read by a fresh loader equals
	// epoch 3 read after epochs 0-2, transforms included.
	ds := smallShapes(t, 100)
	opt := LoaderOptions{BatchSize: 32, Shuffle: true, Seed: 11, Transforms: augment}
	l, _ := NewLoader(ds, opt)
	for e := 0; e < 3; e++ {
		readEpoch(t, l, e)
	}
	after := readEpoch(t, l, 3)
	fresh, _ := NewLoader(ds, opt)
	if err := sameBatches(after, readEpoch(t, fresh, 3)); err != nil {
		t.Fatal(err)
	}
	if err := sameBatches(after, readEpoch(t, l, 4)); err == nil {
		t.Fatal("epochs 3 and 4 gave identical batches")
	}
}

func TestLoaderCoversEveryExampleOnce(t *testing.T) {
	ds := smallShapes(t, 100)
	for _, drop := range []bool{false, true} {
		l, _ := NewLoader(ds, LoaderOptions{BatchSize: 30, Shuffle: true, Seed: 1, DropLast: drop})
		seen := map[int]int{}
		batches := readEpoch(t, l, 0)
		for _, b := range batches {
			for j, i := range b.Indices {
				seen[i]++
				var ex Example
				if err := ds.Get(i, &ex); err != nil {
					t.Fatal(err)
				}
				// Without transforms a batch row is exactly example i.
				if !slices.Equal(b.Images.Index(j).Data(), ex.Image) || b.Labels[j] != ex.Label || !slices.Equal(b.Masks.Index(j).Data(), ex.Mask) || !slices.Equal(b.Factors[j], ex.Factors) {
					t.Fatalf("batch row %d is not example %d", j, i)
				}
			}
		}
		want := 100
		if drop {
			want = 90
		}
		if len(seen) != want || l.Batches() != len(batches) {
			t.Fatalf("drop=%v: %d distinct examples in %d batches (Batches() = %d)", drop, len(seen), len(batches), l.Batches())
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("example %d seen %d times", i, c)
			}
		}
	}
}

// binaryBlobs is a test set whose image is 0/1 and whose mask equals the
// image's first channel, so any geometric transform must keep them equal.
type binaryBlobs struct{ n, h, w int }

func (b binaryBlobs) Len() int { return b.n }
func (b binaryBlobs) Info() Info {
	return Info{Name: "blobs", Classes: []string{"a", "b"}, Channels: 2, Height: b.h, Width: b.w, HasMask: true}
}
func (b binaryBlobs) Get(i int, ex *Example) error {
	ex.Image = growSlice(ex.Image, 2*b.h*b.w)
	ex.Mask = growSlice(ex.Mask, b.h*b.w)
	for y := 0; y < b.h; y++ {
		for x := 0; x < b.w; x++ {
			// 2x2 blocks, so that halving with Area keeps values 0 and 1.
			v := float32(((y/2)*7 + (x/2)*3 + i) % 5 / 3) // 0 or 1
			ex.Image[y*b.w+x] = v
			ex.Image[b.h*b.w+y*b.w+x] = 0.25
			ex.Mask[y*b.w+x] = v
		}
	}
	ex.Label = i % 2
	return nil
}

func TestMasksFollowTransforms(t *testing.T) {
	ds := binaryBlobs{n: 40, h: 16, w: 12}
	for _, tr := range [][]Transform{
		{RandomCrop{Height: 16, Width: 12, Padding: 3}, HorizontalFlip{P: 0.5}},
		{HorizontalFlip{P: 0.5}, CenterCrop{Height: 10, Width: 8}},
		{RandomCrop{Height: 12, Width: 10, Padding: 0}, HorizontalFlip{P: 1}},
		{Resize{Height: 8, Width: 6, Method: Area}},
	} {
		l, err := NewLoader(ds, LoaderOptions{BatchSize: 8, Shuffle: true, Seed: 5, Transforms: tr})
		if err != nil {
			t.Fatal(err)
		}
		_, h, w := l.Shape()
		moved := false
		for _, b := range readEpoch(t, l, 0) {
			for j := range b.Labels {
				img := b.Images.Index(j).Data()[:h*w]
				mask := b.Masks.Index(j).Data()
				if !slices.Equal(img, mask) {
					t.Fatalf("%v: mask does not follow the image", tr)
				}
				var orig Example
				ds.Get(b.Indices[j], &orig)
				if len(orig.Mask) != len(mask) || !slices.Equal(orig.Mask, mask) {
					moved = true
				}
			}
		}
		if !moved {
			t.Fatalf("%v: no mask was changed, the test proves nothing", tr)
		}
	}
}

// failing errors on one example.
type failing struct {
	*Shapes
	bad int
}

func (f failing) Get(i int, ex *Example) error {
	if i == f.bad {
		return fmt.Errorf("example %d: broken.png: truncated", i)
	}
	return f.Shapes.Get(i, ex)
}

func goroutinesSettle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines still running, %d before the epoch", runtime.NumGoroutine(), base)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoaderStopsEarlyWithoutLeaks(t *testing.T) {
	base := runtime.NumGoroutine()
	l, _ := NewLoader(smallShapes(t, 2000), LoaderOptions{BatchSize: 16, Workers: 4, Prefetch: 8})
	e := l.Epoch(context.Background(), 0)
	if _, err := e.Next(); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	goroutinesSettle(t, base)

	ctx, cancel := context.WithCancel(context.Background())
	e = l.Epoch(ctx, 1)
	if _, err := e.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		if _, err := e.Next(); err != nil {
			if !errors.Is(err, context.Canceled) {
				// Batches already made may still arrive; after them, Canceled.
				t.Fatalf("after cancel: %v", err)
			}
			break
		}
	}
	e.Close()
	goroutinesSettle(t, base)
}

func TestLoaderReportsExampleErrors(t *testing.T) {
	base := runtime.NumGoroutine()
	l, _ := NewLoader(failing{smallShapes(t, 200), 77}, LoaderOptions{BatchSize: 10, Workers: 3})
	e := l.Epoch(context.Background(), 0)
	var err error
	for err == nil {
		_, err = e.Next()
	}
	if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "broken.png") {
		t.Fatalf("error %v does not name the bad file", err)
	}
	if _, err2 := e.Next(); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("second Next after an error gave %v", err2)
	}
	e.Close()
	goroutinesSettle(t, base)
}

func TestLoaderOptionErrors(t *testing.T) {
	ds := smallShapes(t, 10)
	for _, opt := range []LoaderOptions{
		{BatchSize: 0},
		{BatchSize: 4, Workers: -1},
		{BatchSize: 4, Transforms: []Transform{CenterCrop{Height: 64, Width: 64}}},
	} {
		if _, err := NewLoader(ds, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		} else if !strings.Contains(err.Error(), "shapes:train") {
			t.Errorf("error %q does not name the data set", err)
		}
	}
}

func BenchmarkLoaderShapes32(b *testing.B) {
	ds, _ := NewShapes(ShapesOptions{Split: SplitTrain, N: 128 * 40})
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 128, Shuffle: true})
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		e := l.Epoch(context.Background(), i)
		for {
			bt, err := e.Next()
			if err != nil {
				break
			}
			n += len(bt.Labels)
			bt.Release()
		}
		e.Close()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}
