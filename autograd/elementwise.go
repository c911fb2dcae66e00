package autograd

import (
	"robustlab/tensor"
)

// Add returns a + b (same shapes).
func Add(a, b *Var) *Var {
	tp := TapeOf(a, b)
	mustSame("Add", a, b)
	out := tp.ScratchTensor(a.Shape()...)
	ad, bd, od := a.Data(), b.Data(), out.Data()
	for i := range od {
		od[i] = ad[i] + bd[i]
	}
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		for _, p := range []*Var{a, b} {
			if p.NeedsGrad() {
				pg := tp.GradOf(p).Data()
				for i, v := range g {
					pg[i] += v
				}
			}
		}
	}, a, b)
}

// Mul returns the element-wise product a * b (same shapes).
func Mul(a, b *Var) *Var {
	tp := TapeOf(a, b)
	mustSame("Mul", a, b)
	out := tp.ScratchTensor(a.Shape()...)
	ad, bd, od := a.Data(), b.Data(), out.Data()
	for i := range od {
		od[i] = ad[i] * bd[i]
	}
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		if a.NeedsGrad() {
			ag := tp.GradOf(a).Data()
			for i, v := range g {
				ag[i] += v * bd[i]
			}
		}
		if b.NeedsGrad() {
			bg := tp.GradOf(b).Data()
			for i, v := range g {
				bg[i] += v * ad[i]
			}
		}
	}, a, b)
}

// Relu returns max(x, 0).
func Relu(x *Var) *Var {
	tp := TapeOf(x)
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	for i, v := range xd {
		od[i] = max(v, 0)
	}
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		for i, v := range od {
			if v > 0 {
				xg[i] += g[i]
			}
		}
	}, x)
}

func mustSame(op string, a, b *Var) {
	if !tensor.SameShape(a.Shape(), b.Shape()) {
		panic(&tensor.ShapeError{Op: op, Got: b.Shape(), Expected: a.Shape()})
	}
}
