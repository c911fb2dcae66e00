package attack

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// tapes recycles tapes across attack calls: a tape keeps the buffers of its
// last use, so a study that attacks batch after batch allocates almost
// nothing per call.
var tapes = sync.Pool{New: func() any { return autograd.NewTape() }}

// oracle answers an attack's questions about the model: logits, the loss of
// each example under the objective, its gradient with respect to the image.
// Attacks ask about a subset of the batch (the examples still in play);
// idx maps the rows of the images they pass to indices in the whole batch.
type oracle struct {
	// ctx, if set, stops an attack early when it is cancelled (the caller
	// then discards the result).
	ctx     context.Context
	m       nn.Module
	tp      *autograd.Tape
	obj     Objective
	labels  []int // of the whole batch
	targets []int // nil when untargeted
	// misclassify makes any wrong class a success even with targets set:
	// AutoAttack's targeted attacks use the target to steer the loss, and
	// their goal stays misclassification.
	misclassify bool
	k           int // number of classes (outputs)
	dz          []float32
	// Logits of the last evaluation, [rows, k]; valid until the next.
	logits []float32
	// queries counts images evaluated (forward passes per example), for
	// the score-based attack's budget and for reports.
	queries int
}

// cancelled reports whether the attack should stop now.
func (o *oracle) cancelled() bool { return o.ctx != nil && o.ctx.Err() != nil }

// target returns the target class of batch example i, or -1.
func (o *oracle) target(i int) int {
	if o.targets == nil {
		return -1
	}
	return o.targets[i]
}

// success reports whether prediction p counts as the attack's success on
// batch example i: any wrong class untargeted, the target class targeted.
func (o *oracle) success(i, p int) bool {
	if o.targets != nil && !o.misclassify {
		return p == o.targets[i]
	}
	return p != o.labels[i]
}

// eval runs the model on x ([len(idx),C,H,W], rows for batch examples idx)
// and writes each row's loss and prediction; if grad is non-nil it also
// writes d loss / d x there (one backward pass, input gradient only).
func (o *oracle) eval(x *tensor.Tensor, idx []int, grad *tensor.Tensor, loss []float64, pred []int) {
	n, k := len(idx), o.k
	o.tp.Reset()
	in := o.tp.Input(x)
	z := nn.Call(o.m, in)
	if s := z.Shape(); len(s) != 2 || s[0] != n || s[1] != k {
		panic(&tensor.ShapeError{Op: "attack: model output", Got: s, Expected: []int{n, k}})
	}
	o.queries += n
	zd := z.Data()
	o.logits = append(o.logits[:0], zd...)
	var dzT *tensor.Tensor
	var dz []float32
	if grad != nil {
		dzT = o.tp.Tensor(n, k)
		dz = dzT.Data()
	} else {
		if cap(o.dz) < n*k {
			o.dz = make([]float32, n*k)
		}
		dz = o.dz[:n*k]
	}
	for j, i := range idx {
		row := zd[j*k : (j+1)*k]
		l := o.obj.Loss(i, row, o.labels[i], o.target(i), dz[j*k:(j+1)*k])
		if loss != nil {
			loss[j] = l
		}
		if pred != nil {
			pred[j] = argmax(row)
		}
	}
	if grad != nil {
		o.tp.BackwardWith(z, dzT, in)
		if in.Grad == nil { // the output does not depend on the image
			grad.Fill(0)
			return
		}
		copy(grad.Data(), in.Grad.Data())
	}
}

// boundaries runs the model on x (rows for batch examples idx) and, for
// FAB's linearization, writes f[j*K+k] = z_k - z_y of row j (y its label)
// and, if g is non-nil, g[(j*K+k)*D:...] = d(z_k - z_y)/dx (zero for k =
// y): one forward pass and K backward passes on the same tape, each for
// one class. pred gets the predictions.
func (o *oracle) boundaries(x *tensor.Tensor, idx []int, f []float64, g []float32, pred []int) {
	n, k := len(idx), o.k
	d := rowLen(x)
	o.tp.Reset()
	in := o.tp.Input(x)
	z := nn.Call(o.m, in)
	if s := z.Shape(); len(s) != 2 || s[0] != n || s[1] != k {
		panic(&tensor.ShapeError{Op: "attack: model output", Got: s, Expected: []int{n, k}})
	}
	o.queries += n
	zd := z.Data()
	o.logits = append(o.logits[:0], zd...)
	for j, i := range idx {
		y := o.labels[i]
		for c := 0; c < k; c++ {
			f[j*k+c] = float64(zd[j*k+c]) - float64(zd[j*k+y])
		}
		pred[j] = argmax(zd[j*k : (j+1)*k])
	}
	if g == nil {
		return
	}
	dz := o.tp.Tensor(n, k)
	for c := 0; c < k; c++ {
		dz.Fill(0)
		for j, i := range idx {
			if y := o.labels[i]; y != c {
				dz.Data()[j*k+c], dz.Data()[j*k+y] = 1, -1
			}
		}
		o.tp.BackwardWith(z, dz, in)
		for j := range idx {
			dst := g[(j*k+c)*d : (j*k+c+1)*d]
			if in.Grad == nil {
				clear(dst)
				continue
			}
			copy(dst, in.Grad.Data()[j*d:(j+1)*d])
		}
	}
}

// argmax returns the index of the largest value (the first of ties, as
// PyTorch's argmax; NaN counts as largest, so a NaN logit is never a
// silent correct answer).
func argmax(z []float32) int {
	best := 0
	for k, v := range z {
		if v > z[best] || (v != v && z[best] == z[best]) {
			best = k
		}
	}
	return best
}

// session sets up an attack on a batch: it checks the inputs, puts the
// model in evaluation mode (unless keepMode), takes a tape, and runs the
// model once on the first image to learn the number of classes and to turn
// a model that cannot take these images into an error. done undoes it all.
func session(m nn.Module, x *tensor.Tensor, labels, targets []int, obj Objective, keepMode bool) (o *oracle, done func(), err error) {
	if err := checkImages(x, labels, targets); err != nil {
		return nil, nil, err
	}
	if obj == nil {
		obj = CrossEntropy()
	}
	o = &oracle{m: m, obj: obj, labels: labels, targets: targets}
	restore := func() {}
	if !keepMode {
		restore = nn.EvalMode(m)
	}
	o.tp = tapes.Get().(*autograd.Tape)
	done = func() {
		o.tp.Reset()
		tapes.Put(o.tp)
		restore()
	}
	if x.Dim(0) == 0 {
		return o, done, nil
	}
	k, err := probeClasses(o.tp, m, x.Slice(0, 1))
	if err != nil {
		done()
		return nil, nil, err
	}
	o.k = k
	if err := checkLabels(labels, targets, k); err != nil {
		done()
		return nil, nil, err
	}
	if err := checkObjective(obj, k, targets != nil, x.Dim(0)); err != nil {
		done()
		return nil, nil, err
	}
	return o, done, nil
}

// probeClasses runs m on x (one image) and returns the number of outputs,
// or an error if the model cannot take the image (a shape mismatch panics
// inside the model's layers; here it becomes an error naming both shapes).
func probeClasses(tp *autograd.Tape, m nn.Module, x *tensor.Tensor) (k int, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*tensor.ShapeError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("attack: the model cannot take images of shape %s (C x H x W): %v", tensor.FormatShape(x.Shape()[1:]), se)
		}
	}()
	tp.Reset()
	z := nn.Call(m, tp.Input(x))
	if s := z.Shape(); len(s) != 2 || s[0] != 1 {
		return 0, fmt.Errorf("attack: the model's output for one image has shape %s, want [1 K] logits", tensor.FormatShape(s))
	}
	return z.Shape()[1], nil
}

// checkImages reports a batch that is not N x C x H x W in [0,1] or whose
// labels (and targets) do not match it in number.
func checkImages(x *tensor.Tensor, labels, targets []int) error {
	if x == nil || x.NDim() != 4 {
		shape := "nil"
		if x != nil {
			shape = tensor.FormatShape(x.Shape())
		}
		return fmt.Errorf("attack: images must be [N C H W], got %s", shape)
	}
	n := x.Dim(0)
	if len(labels) != n {
		return fmt.Errorf("attack: %d labels for %d images", len(labels), n)
	}
	if targets != nil && len(targets) != n {
		return fmt.Errorf("attack: %d targets for %d images", len(targets), n)
	}
	d := x.Len() / max(n, 1)
	for j, v := range x.Data() {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("attack: image %d has value %g at element %d: images must lie in [0,1] (normalization belongs inside the model)", j/d, v, j%d)
		}
	}
	return nil
}

// checkLabels reports labels or targets outside the model's k classes, and
// a target equal to its example's label.
func checkLabels(labels, targets []int, k int) error {
	for i, y := range labels {
		if y < 0 || y >= k {
			return fmt.Errorf("attack: label %d of example %d is outside [0, %d) (the model has %d outputs)", y, i, k, k)
		}
	}
	for i, t := range targets {
		if t < 0 || t >= k {
			return fmt.Errorf("attack: target %d of example %d is outside [0, %d) (the model has %d outputs)", t, i, k, k)
		}
		if t == labels[i] {
			return fmt.Errorf("attack: target %d of example %d is its own label", t, i)
		}
	}
	return nil
}

// checkBudget reports an eps that is negative, infinite or NaN.
func checkBudget(what string, eps float64) error {
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return fmt.Errorf("attack: %s must be a finite number >= 0 (pixel units of [0,1] images), got %g", what, eps)
	}
	return nil
}

// rowsOf gathers rows idx of x ([N,...]) into a new tensor [len(idx),...].
func rowsOf(x *tensor.Tensor, idx []int) *tensor.Tensor {
	shape := append([]int{len(idx)}, x.Shape()[1:]...)
	out := tensor.New(shape...)
	d := rowLen(x)
	for j, i := range idx {
		copy(out.Data()[j*d:(j+1)*d], x.Data()[i*d:(i+1)*d])
	}
	return out
}

// rowLen is the number of elements of one example of x [N,...].
func rowLen(x *tensor.Tensor) int {
	d := 1
	for _, s := range x.Shape()[1:] {
		d *= s
	}
	return d
}

// row returns example j of x [N,...] as a slice of x's data.
func row(x *tensor.Tensor, j int) []float32 {
	d := rowLen(x)
	return x.Data()[j*d : (j+1)*d]
}

// compact keeps the rows j of each tensor (all [n,...]) for which keep[j]
// is true, moved to the front in order, cuts each tensor to the kept rows
// (a view of the same memory) and returns idx filtered alike.
func compact(keep []bool, idx []int, ts ...**tensor.Tensor) []int {
	p := 0
	for j, k := range keep {
		if !k {
			continue
		}
		if p != j {
			for _, t := range ts {
				copy(row(*t, p), row(*t, j))
			}
		}
		idx[p] = idx[j]
		p++
	}
	for _, t := range ts {
		*t = (*t).Slice(0, p)
	}
	return idx[:p]
}
