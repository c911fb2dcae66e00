package saliency

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// CurveOptions configure DeletionInsertion.
type CurveOptions struct {
	// Steps is the number of steps the pixels are removed or inserted in,
	// each a 1/Steps share of them; default 64.
	Steps int
	// Deletion is what removed pixels become; DefaultBaseline means Black.
	Deletion Baseline
	// Insertion is the canvas pixels are inserted into; DefaultBaseline
	// means Blur, Petsiuk et al.'s choice (a black canvas is far from
	// every training image, and the first insertions would measure that).
	Insertion Baseline
	// BlurSigma is the Blur baseline's standard deviation in pixels;
	// default max(1, W/8).
	BlurSigma float64
	// Seed seeds the Uniform baseline.
	Seed uint64
	// BatchSize is the number of images per forward pass; default 128.
	BatchSize int
	// Progress, if not nil, is called after each batch with the rows done
	// and the rows in all.
	Progress func(done, total int)
}

// Curves are the deletion and insertion curves of Petsiuk et al. 2018
// ("RISE", sec. 4.1): the target class's probability as the pixels are
// removed from the image (deletion: a good map makes it fall fast) or put
// into a canvas (insertion: a good map makes it rise fast), most salient
// first.
type Curves struct {
	// Deletion[i][k] and Insertion[i][k] are image i's probabilities after
	// k of the Steps steps, k = 0..Steps.
	Deletion, Insertion [][]float64
	// DeletionAUC and InsertionAUC are the areas under the curves over a
	// pixel fraction from 0 to 1 (trapezoidal rule, as the RISE code):
	// lower is better for deletion, higher for insertion.
	DeletionAUC, InsertionAUC []float64
}

// DeletionInsertion computes the deletion and insertion curves of images
// [N,C,H,W] for their targets, pixels ordered by maps [N,H,W] from the
// highest value down (ties by position; pass absolute values where the
// sign is not evidence). Step k has round(k*H*W/Steps) pixels, every
// channel of each, replaced. The model runs in evaluation mode on
// N*2*(Steps+1) images, in batches.
func DeletionInsertion(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, maps *tensor.Tensor, o CurveOptions) (*Curves, error) {
	if err := checkImages(images, targets); err != nil {
		return nil, err
	}
	n, c, h, w := images.Dim(0), images.Dim(1), images.Dim(2), images.Dim(3)
	if maps == nil || maps.CheckShape("DeletionInsertion", n, h, w) != nil {
		return nil, fmt.Errorf("saliency: deletion/insertion maps have shape %s, want [%d %d %d]", shapeOf(maps), n, h, w)
	}
	if !maps.AllFinite() {
		return nil, fmt.Errorf("saliency: deletion/insertion maps hold NaN or infinite values")
	}
	if o.Steps <= 0 {
		o.Steps = 64
	}
	if o.Deletion == DefaultBaseline {
		o.Deletion = Black
	}
	if o.Insertion == DefaultBaseline {
		o.Insertion = Blur
	}
	if o.BlurSigma <= 0 {
		o.BlurSigma = max(1, float64(w)/8)
	}
	if err := checkBlur(o.BlurSigma, h, w); err != nil {
		return nil, err
	}
	hw, chw, steps := h*w, c*h*w, o.Steps
	x := images.Data()
	del, ins := make([]float32, n*chw), make([]float32, n*chw)
	order := make([][]int, n)
	for i := 0; i < n; i++ {
		xi := x[i*chw : (i+1)*chw]
		if err := baselineImage(o.Deletion, del[i*chw:(i+1)*chw], xi, c, h, w, o.BlurSigma, o.Seed, i); err != nil {
			return nil, err
		}
		if err := baselineImage(o.Insertion, ins[i*chw:(i+1)*chw], xi, c, h, w, o.BlurSigma, o.Seed, i); err != nil {
			return nil, err
		}
		order[i] = salientFirst(maps.Index(i).Data())
	}
	res := &Curves{Deletion: make([][]float64, n), Insertion: make([][]float64, n),
		DeletionAUC: make([]float64, n), InsertionAUC: make([]float64, n)}
	for i := 0; i < n; i++ {
		res.Deletion[i] = make([]float64, steps+1)
		res.Insertion[i] = make([]float64, steps+1)
	}
	perImage := 2 * (steps + 1)
	defer nn.EvalMode(model)()
	e := newEngine(ctx, model, images, Options{BatchSize: o.BatchSize, Progress: o.Progress}.withDefaults(w), perImage)
	var badTarget error
	err := e.run(n*perImage, false, func(r int, dst []float32) int {
		i, j := r/perImage, r%perImage
		start, fill := x[i*chw:(i+1)*chw], del[i*chw:(i+1)*chw]
		k := j
		if j > steps {
			start, fill = ins[i*chw:(i+1)*chw], x[i*chw:(i+1)*chw]
			k = j - steps - 1
		}
		copy(dst, start)
		for _, p := range order[i][:(k*hw+steps/2)/steps] {
			for ch := 0; ch < c; ch++ {
				dst[ch*hw+p] = fill[ch*hw+p]
			}
		}
		return -1
	}, func(r int, row rowResult) {
		i, j := r/perImage, r%perImage
		if targets[i] >= len(row.logits) {
			badTarget = fmt.Errorf("saliency: image %d: target class %d, but the model has %d outputs", i, targets[i], len(row.logits))
			return
		}
		p := softmaxAt(row.logits, targets[i])
		if j <= steps {
			res.Deletion[i][j] = p
		} else {
			res.Insertion[i][j-steps-1] = p
		}
	})
	if err != nil {
		return nil, err
	}
	if badTarget != nil {
		return nil, badTarget
	}
	for i := 0; i < n; i++ {
		res.DeletionAUC[i] = AUC(res.Deletion[i])
		res.InsertionAUC[i] = AUC(res.Insertion[i])
	}
	return res, nil
}

// salientFirst returns the pixel indices of m from the highest value to
// the lowest, ties in index order.
func salientFirst(m []float32) []int {
	idx := make([]int, len(m))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case m[a] > m[b]:
			return -1
		case m[a] < m[b]:
			return 1
		}
		return 0
	})
	return idx
}

// softmaxAt returns softmax(logits)[t], computed in float64 and shifted by
// the maximum.
func softmaxAt(logits []float32, t int) float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - m)
	}
	return math.Exp(float64(logits[t])-m) / sum
}

// AUC is the area under a curve sampled at evenly spaced points of [0,1]
// (len(y) >= 2), by the trapezoidal rule.
func AUC(y []float64) float64 {
	if len(y) < 2 {
		return math.NaN()
	}
	var s float64
	for k := 0; k+1 < len(y); k++ {
		s += (y[k] + y[k+1]) / 2
	}
	return s / float64(len(y)-1)
}
