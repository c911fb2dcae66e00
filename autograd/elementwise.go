package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// Element-wise operations. The binary ones broadcast as numpy and PyTorch
// do; the forward and backward of each sit together below, over the shared
// broadcasting walk (bplan) and the loops it drives.

// parallelMinElems is the number of elements an operation touches below
// which it runs on the calling goroutine: under it, handing work to the
// pool costs more than it saves. A variable so that tests can force the
// parallel paths on small inputs.
var parallelMinElems = 1 << 16

// parallelRange runs fn over [0, n) in contiguous chunks, on the worker
// pool when work (the elements the whole call touches) is at least
// parallelMinElems. Every caller makes each output element's value
// independent of the chunking, so results are bit-identical for any number
// of workers.
func parallelRange(n, work int, fn func(lo, hi int)) {
	if work < parallelMinElems || n < 2 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	kernels.ParallelFor(n, func(_, lo, hi int) { fn(lo, hi) })
}

// broadcastShape returns the shape a and b broadcast to under numpy's rules:
// the shapes are aligned at their last axes, and on each axis the sizes are
// equal or one of them is 1 (a missing axis counts as 1). Otherwise it
// panics with a *tensor.ShapeError naming both shapes.
func broadcastShape(op string, a, b []int) []int {
	r := max(len(a), len(b))
	out := make([]int, r)
	for d := range out {
		da, db := axisSize(a, r, d), axisSize(b, r, d)
		switch {
		case da == db || db == 1:
			out[d] = da
		case da == 1:
			out[d] = db
		default:
			panic(&tensor.ShapeError{Op: op + " (broadcasting)", Got: b, Expected: a})
		}
	}
	return out
}

// axisSize is the size of axis d of shape s aligned at the right with a
// shape of r axes.
func axisSize(s []int, r, d int) int {
	if i := d - (r - len(s)); i >= 0 {
		return s[i]
	}
	return 1
}

// A bplan walks an output of broadcast shape in row-major order together
// with two operands x and y broadcast to it. Axes of size 1 are dropped and
// neighbouring axes along which each operand is either broadcast or not in
// the same way are merged, so [N,C,H,W] with y [1,C,1,1] is walked as
// [N, C, H*W] with y's strides (0, 1, 0): long contiguous stretches that
// tight loops handle.
type bplan struct {
	size   []int // sizes of the merged axes of the output
	sx, sy []int // strides of x and y along them: 0 where broadcast
}

func newBroadcastPlan(out, xs, ys []int) bplan {
	r := len(out)
	var p bplan
	var fx, fy []bool // whether x, y are full (not broadcast) along the axis
	for d, n := range out {
		if n == 1 {
			continue
		}
		bx, by := axisSize(xs, r, d) == n, axisSize(ys, r, d) == n
		if k := len(p.size); k > 0 && fx[k-1] == bx && fy[k-1] == by {
			p.size[k-1] *= n
			continue
		}
		p.size = append(p.size, n)
		fx, fy = append(fx, bx), append(fy, by)
	}
	m := len(p.size)
	p.sx, p.sy = make([]int, m), make([]int, m)
	stx, sty := 1, 1
	for d := m - 1; d >= 0; d-- {
		if fx[d] {
			p.sx[d] = stx
			stx *= p.size[d]
		}
		if fy[d] {
			p.sy[d] = sty
			sty *= p.size[d]
		}
	}
	return p
}

// runs calls fn(o, ix, iy, n) for each stretch of the output range [lo, hi)
// along the innermost merged axis: n elements from output offset o, whose
// operands start at offsets ix and iy and advance by the innermost strides.
func (p *bplan) runs(lo, hi int, fn func(o, ix, iy, n int)) {
	m := len(p.size)
	var buf [8]int
	idx := buf[:]
	if m > len(buf) {
		idx = make([]int, m)
	}
	idx = idx[:m]
	ix, iy, rem := 0, 0, lo
	for d := m - 1; d >= 0; d-- {
		idx[d] = rem % p.size[d]
		rem /= p.size[d]
		ix += idx[d] * p.sx[d]
		iy += idx[d] * p.sy[d]
	}
	last := m - 1
	size, sx, sy := p.size[last], p.sx[last], p.sy[last]
	for o := lo; o < hi; {
		at := idx[last]
		n := min(size-at, hi-o)
		fn(o, ix, iy, n)
		o += n
		if at+n < size {
			return // only the end of the range stops inside a stretch
		}
		// Back to the start of the innermost axis, then carry outwards.
		ix -= at * sx
		iy -= at * sy
		idx[last] = 0
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			ix += p.sx[d]
			iy += p.sy[d]
			if idx[d] < p.size[d] {
				break
			}
			ix -= p.size[d] * p.sx[d]
			iy -= p.size[d] * p.sy[d]
			idx[d] = 0
		}
	}
}

// eachCopy calls fn, in increasing order, with the output offset of every
// element that x's element at output offset base was broadcast to, moving
// along the broadcast axes d < end only.
func (p *bplan) eachCopy(base, end int, fn func(off int)) {
	var buf [8]int
	idx := buf[:]
	if end > len(buf) {
		idx = make([]int, end)
	}
	idx = idx[:end]
	off := base
	for {
		fn(off)
		d := end - 1
		for ; d >= 0; d-- {
			if p.sx[d] != 0 {
				continue
			}
			idx[d]++
			off += p.sy[d]
			if idx[d] < p.size[d] {
				break
			}
			off -= p.size[d] * p.sy[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// binop selects the loop applyRun runs; the Acc forms add into dst.
type binop int

const (
	opAdd binop = iota
	opSub
	opMul
	opDiv
	opMulAcc
	opDivAcc
)

// broadcastApply sets dst = x op y (or adds it, for the Acc ops) over the
// output shape out, with x of shape xs and y of shape ys broadcast to it.
func broadcastApply(op binop, dst, x, y []float32, out, xs, ys []int) {
	n := len(dst)
	if len(x) == n && len(y) == n {
		parallelRange(n, n, func(lo, hi int) { applyRun(op, dst[lo:hi], x[lo:hi], y[lo:hi], 1, 1) })
		return
	}
	if n == 0 {
		return
	}
	p := newBroadcastPlan(out, xs, ys)
	sx, sy := p.sx[len(p.sx)-1], p.sy[len(p.sy)-1]
	parallelRange(n, n, func(lo, hi int) {
		p.runs(lo, hi, func(o, ix, iy, k int) { applyRun(op, dst[o:o+k], x[ix:], y[iy:], sx, sy) })
	})
}

// applyRun is one stretch of broadcastApply: x and y advance by sx and sy
// (1, or 0 for an operand broadcast along the stretch).
func applyRun(op binop, d, x, y []float32, sx, sy int) {
	switch {
	case sx == 1 && sy == 1:
		x, y = x[:len(d)], y[:len(d)]
		switch op {
		case opAdd:
			kernels.Add(d, x, y)
		case opSub:
			for i := range d {
				d[i] = x[i] - y[i]
			}
		case opMul:
			kernels.Mul(d, x, y)
		case opDiv:
			for i := range d {
				d[i] = x[i] / y[i]
			}
		case opMulAcc:
			for i := range d {
				d[i] += x[i] * y[i]
			}
		case opDivAcc:
			for i := range d {
				d[i] += x[i] / y[i]
			}
		}
	case sx == 0:
		a, y := x[0], y[:len(d)]
		switch op {
		case opAdd:
			for i := range d {
				d[i] = a + y[i]
			}
		case opSub:
			for i := range d {
				d[i] = a - y[i]
			}
		case opMul:
			for i := range d {
				d[i] = a * y[i]
			}
		case opDiv:
			for i := range d {
				d[i] = a / y[i]
			}
		case opMulAcc:
			kernels.Axpy(a, y, d)
		case opDivAcc:
			for i := range d {
				d[i] += a / y[i]
			}
		}
	default:
		x, b := x[:len(d)], y[0]
		switch op {
		case opAdd:
			for i := range d {
				d[i] = x[i] + b
			}
		case opSub:
			for i := range d {
				d[i] = x[i] - b
			}
		case opMul:
			for i := range d {
				d[i] = x[i] * b
			}
		case opDiv:
			for i := range d {
				d[i] = x[i] / b
			}
		case opMulAcc:
			kernels.Axpy(b, x, d)
		case opDivAcc:
			for i := range d {
				d[i] += x[i] / b
			}
		}
	}
}

// sumBlock is the length of the fixed blocks a long sum is cut into, so that
// its rounding does not depend on the number of workers.
const sumBlock = 1 << 14

// dotOrSum is sum(x*w), or sum(x) if w is nil, in float64 in a fixed order.
func dotOrSum(x, w []float32) float64 {
	if w == nil {
		return kernels.Sum(x)
	}
	return kernels.Dot(x, w)
}

// sumBlocked is dotOrSum(x, w) over fixed blocks added in order, so that
// its rounding does not depend on the number of workers, in parallel for a
// long x.
func sumBlocked(x, w []float32) float64 {
	nb := (len(x) + sumBlock - 1) / sumBlock
	if nb <= 1 {
		return dotOrSum(x, w)
	}
	part := make([]float64, nb)
	parallelRange(nb, len(x), func(lo, hi int) {
		for b := lo; b < hi; b++ {
			from, to := b*sumBlock, min((b+1)*sumBlock, len(x))
			if w == nil {
				part[b] = kernels.Sum(x[from:to])
			} else {
				part[b] = kernels.Dot(x[from:to], w[from:to])
			}
		}
	})
	s := 0.0
	for _, v := range part {
		s += v
	}
	return s
}

// sumToShape sets dst, of shape ps, to the sums of src (or of src*w, if w
// is not nil; w has src's length), of the shape out that ps broadcasts to,
// over the axes along which ps was broadcast. Each element of dst adds its
// terms in increasing order of their offsets in src whatever the chunking,
// so the result does not depend on the number of workers. Sums along the
// innermost axis (a per-channel gradient sums H*W contiguous values per
// example) are accumulated in float64.
func sumToShape(dst, src, w []float32, out, ps []int) {
	if len(src) == 0 { // broadcast along an empty axis: nothing to add
		clear(dst)
		return
	}
	p := newBroadcastPlan(out, ps, out)
	m := len(p.size)
	last := m - 1
	base := func(j int) int { // offset in src of dst's element j
		off := 0
		for d := range m {
			if p.sx[d] != 0 {
				off += (j / p.sx[d]) % p.size[d] * p.sy[d]
			}
		}
		return off
	}
	if p.sx[last] == 0 {
		if m == 1 { // dst is one element: the sum of everything
			dst[0] = float32(sumBlocked(src, w))
			return
		}
		n := p.size[last]
		parallelRange(len(dst), len(src), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				s := 0.0
				p.eachCopy(base(j), last, func(off int) {
					if w == nil {
						s += kernels.Sum(src[off : off+n])
					} else {
						s += kernels.Dot(src[off:off+n], w[off:off+n])
					}
				})
				dst[j] = float32(s)
			}
		})
		return
	}
	// The innermost axis is not broadcast: add whole stretches of src into
	// stretches of dst, row by row of dst.
	n := p.size[last]
	parallelRange(len(dst), len(src), func(lo, hi int) {
		for j := lo; j < hi; {
			k := min(n-j%n, hi-j)
			d := dst[j : j+k]
			clear(d)
			p.eachCopy(base(j), m, func(off int) {
				s := src[off : off+k]
				if w == nil {
					kernels.Add(d, d, s)
					return
				}
				ws := w[off : off+k]
				for i := range d {
					d[i] += s[i] * ws[i]
				}
			})
			j += k
		}
	})
}

// addGradSum adds s*src, a gradient of the broadcast output shape out, into
// v's gradient, summed back to v's shape. A first contribution is written
// rather than added.
func addGradSum(tp *Tape, v *Var, src []float32, out []int, s float32) {
	vgt, fresh := tp.GradFor(v)
	vg := vgt.Data()
	if len(vg) != len(src) {
		if fresh {
			sumToShape(vg, src, nil, out, v.Shape())
			if s != 1 {
				kernels.Scal(s, vg)
			}
			return
		}
		r := tp.Scratch(len(vg))
		sumToShape(r, src, nil, out, v.Shape())
		for j, x := range r {
			vg[j] += s * x
		}
		return
	}
	parallelRange(len(vg), len(vg), func(lo, hi int) {
		switch {
		case !fresh:
			kernels.Axpy(s, src[lo:hi], vg[lo:hi])
		case s == 1:
			copy(vg[lo:hi], src[lo:hi])
		default:
			d := vg[lo:hi]
			for i, x := range src[lo:hi] {
				d[i] = s * x
			}
		}
	})
}

// addGradOp adds g op y (opMul or opDiv) into v's gradient: g has the
// output shape out, y has shape ys broadcast to it, and the result is
// summed back to v's shape. A product with a y of the output's shape is
// summed without a temporary (x*w with w per channel, asking for dw).
func addGradOp(tp *Tape, v *Var, op binop, g, y []float32, out, ys []int) {
	vg := tp.GradOf(v).Data()
	switch {
	case len(vg) == len(g):
		acc := opMulAcc
		if op == opDiv {
			acc = opDivAcc
		}
		broadcastApply(acc, vg, g, y, out, out, ys)
	case op == opMul && len(y) == len(g):
		r := tp.Scratch(len(vg))
		sumToShape(r, g, y, out, v.Shape())
		for j, x := range r {
			vg[j] += x
		}
	default:
		t := tp.Scratch(len(g))
		broadcastApply(op, t, g, y, out, out, ys)
		addGradSum(tp, v, t, out, 1)
	}
}

// Add returns a + b, broadcasting as numpy and PyTorch do: the shapes are
// aligned at their last axes, and an axis of size 1 (or a missing one) is
// repeated to match the other, so x [N,C,H,W] plus a [1,C,1,1], [N,C,1,1],
// [C,1,1] or [] tensor all work, as do [N,1] plus [1,K] ([N,K]). The result
// has the broadcast shape; each input's gradient is summed back to its own
// shape.
func Add(a, b *Var) *Var {
	tp := TapeOf(a, b)
	shape := broadcastShape("Add", a.Shape(), b.Shape())
	out := tp.ScratchTensor(shape...)
	broadcastApply(opAdd, out.Data(), a.Data(), b.Data(), shape, a.Shape(), b.Shape())
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		// b's share first: once a is handed o's buffer, a's later
		// gradients accumulate into it.
		if b.NeedsGrad() {
			addGradSum(tp, b, g, shape, 1)
		}
		if a.NeedsGrad() && (len(a.Data()) != len(g) || !tp.PassGrad(o, a)) {
			addGradSum(tp, a, g, shape, 1)
		}
	}, a, b)
}

// Sub returns a - b, broadcasting as Add.
func Sub(a, b *Var) *Var {
	tp := TapeOf(a, b)
	shape := broadcastShape("Sub", a.Shape(), b.Shape())
	out := tp.ScratchTensor(shape...)
	broadcastApply(opSub, out.Data(), a.Data(), b.Data(), shape, a.Shape(), b.Shape())
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		if a.NeedsGrad() {
			addGradSum(tp, a, g, shape, 1)
		}
		if b.NeedsGrad() {
			addGradSum(tp, b, g, shape, -1)
		}
	}, a, b)
}

// Mul returns the element-wise product a * b, broadcasting as Add.
func Mul(a, b *Var) *Var {
	tp := TapeOf(a, b)
	shape := broadcastShape("Mul", a.Shape(), b.Shape())
	out := tp.ScratchTensor(shape...)
	broadcastApply(opMul, out.Data(), a.Data(), b.Data(), shape, a.Shape(), b.Shape())
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		if a.NeedsGrad() {
			addGradOp(tp, a, opMul, g, b.Data(), shape, b.Shape())
		}
		if b.NeedsGrad() {
			addGradOp(tp, b, opMul, g, a.Data(), shape, a.Shape())
		}
	}, a, b)
}

// Div returns the element-wise quotient a / b, broadcasting as Add.
func Div(a, b *Var) *Var {
	tp := TapeOf(a, b)
	shape := broadcastShape("Div", a.Shape(), b.Shape())
	out := tp.ScratchTensor(shape...)
	od, bd := out.Data(), b.Data()
	broadcastApply(opDiv, od, a.Data(), bd, shape, a.Shape(), b.Shape())
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		if a.NeedsGrad() {
			addGradOp(tp, a, opDiv, g, bd, shape, b.Shape())
		}
		if !b.NeedsGrad() {
			return
		}
		// d(a/b)/db = -(a/b)/b: reuse the output rather than a.
		bg := tp.GradOf(b).Data()
		if len(bg) == len(g) {
			parallelRange(len(g), len(g), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					bg[i] -= g[i] * od[i] / bd[i]
				}
			})
			return
		}
		r := tp.Scratch(len(bg))
		sumToShape(r, g, od, shape, b.Shape())
		for j, v := range r {
			bg[j] -= v / bd[j]
		}
	}, a, b)
}

// recordUnary records an element-wise operation of x. forward fills o from
// x and backward adds g*d(out)/dx into xg, each over aligned chunks of the
// tensors (on the worker pool when they are large), so that their loops
// are tight and free of per-element calls through function values.
func recordUnary(x *Var, forward func(o, x []float32), backward func(xg, g, x, o []float32)) *Var {
	tp := TapeOf(x)
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	n := len(od)
	parallelRange(n, n, func(lo, hi int) { forward(od[lo:hi], xd[lo:hi]) })
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n, func(lo, hi int) { backward(xg[lo:hi], g[lo:hi], xd[lo:hi], od[lo:hi]) })
	}, x)
}

// Scale returns s*x.
func Scale(x *Var, s float32) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = s * v
		}
	}, func(xg, g, _, _ []float32) { kernels.Axpy(s, g, xg) })
}

// AddScalar returns x + s.
func AddScalar(x *Var, s float32) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = v + s
		}
	}, func(xg, g, _, _ []float32) { kernels.Axpy(1, g, xg) })
}

// Square returns x*x.
func Square(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = v * v
		}
	}, func(xg, g, x, _ []float32) {
		for i, v := range g {
			xg[i] += 2 * x[i] * v
		}
	})
}

// Sqrt returns the square root of x. Its gradient 1/(2 sqrt(x)) is +Inf at
// 0, as in PyTorch; compose with AddScalar(x, eps) where x can be 0.
func Sqrt(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(math.Sqrt(float64(v)))
		}
	}, func(xg, g, _, o []float32) {
		for i, v := range g {
			xg[i] += v / (2 * o[i])
		}
	})
}

// Exp returns e^x.
func Exp(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(math.Exp(float64(v)))
		}
	}, func(xg, g, _, o []float32) {
		for i, v := range g {
			xg[i] += v * o[i]
		}
	})
}

// Log returns the natural logarithm of x (-Inf at 0, NaN below).
func Log(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(math.Log(float64(v)))
		}
	}, func(xg, g, x, _ []float32) {
		for i, v := range g {
			xg[i] += v / x[i]
		}
	})
}

// Abs returns |x|. Its gradient is sign(x), taken as 0 at x = 0 (PyTorch's
// choice of subgradient).
func Abs(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(math.Abs(float64(v)))
		}
	}, func(xg, g, x, _ []float32) {
		// g with x's sign, or 0 where x is ±0: bit operations, not
		// branches on the sign of the data.
		for i, v := range g {
			xb := math.Float32bits(x[i])
			nonzero := uint32(-int64(xb&0x7fffffff) >> 63)
			xg[i] += math.Float32frombits((math.Float32bits(v) ^ xb&0x80000000) & nonzero)
		}
	})
}

// Clamp returns x limited to [lo, hi] (NaN stays NaN). The gradient passes
// where lo <= x <= hi, bounds included, as PyTorch's clamp does, and is 0
// outside. It panics if lo > hi.
func Clamp(x *Var, lo, hi float32) *Var {
	if lo > hi {
		panic(fmt.Sprintf("autograd.Clamp: lower bound %g is above upper bound %g", lo, hi))
	}
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = min(max(v, lo), hi)
		}
	}, func(xg, g, x, _ []float32) {
		for i, v := range g {
			if x[i] >= lo && x[i] <= hi {
				xg[i] += v
			}
		}
	})
}

func mustSame(op string, a, b *Var) {
	if !tensor.SameShape(a.Shape(), b.Shape()) {
		panic(&tensor.ShapeError{Op: op, Got: b.Shape(), Expected: a.Shape()})
	}
}
