// Package gradcheck is the gradient check of robustlab's tests: it holds a
// float32 operation's forward and gradients to an independent float64
// reference, with a bound that is as tight as float32 allows and no
// tighter, so that a backward off by 1e-4 relative fails it.
//
// The reference is a plain float64 forward over the inputs. The check
// compares the float32 forward with it, and the float32 gradient of
// L = sum(r * out), for a fixed random r, with central finite differences
// of the reference. Where the remaining error comes from, and how each part
// is bounded:
//
//   - The finite differences perturb the float32 inputs (exact in float64)
//     by h = 2^-17 (times the power of two at or above |x| when |x| > 1),
//     a power of two so that x ± h is exact. Differencing each output (not
//     the loss) confines the rounding to the outputs that depend on x:
//     about eps64 |o| / h = 3e-11 per output, while the truncation error
//     h^2/6 |d^3o/dx^3| is 1e-11 for unit-scale third derivatives. The
//     reference is good to about 1e-9 relative: the check tests the
//     operation, not its reference. Where the true derivative is 0 but
//     the reference's rounding is not (a path that cancels), that noise is
//     the error: the bound adds N_k = 64 eps64 sum_i |r_i| max(1, |out_i|)
//     / (2h) over the outputs that moved, about 5e-10 each, which covers a
//     reference whose intermediate values are of unit scale or of its
//     outputs' scale.
//   - The operation computes in float32. Its backward sums the
//     contributions r_i dout_i/dx_k of every output i to input k, each
//     rounded at unit roundoff u = 2^-24: its error is bounded by
//     Ulps * u * S_k, where S_k = sum_i |r_i dout_i/dx_k| comes from the
//     same finite differences. Where contributions cancel (a gradient near
//     zero made of large terms) float32 cannot do better, and the bound
//     says by how much. A backward that subtracts a cached float32 value
//     from something close to it (1 - y for a sigmoid output y near 1)
//     loses more than S_k shows: such a case states the loss, R_k, in
//     Case.Rounding.
//   - The forward's error is bounded likewise by Ulps * u * (|out_i| +
//     F_i), where F_i = sum_k |x_k dout_i/dx_k| (over the inputs
//     differentiated) is how much a relative change of u in every input
//     moves out_i: the backward-stability bound of a float32 algorithm.
//
// A gradient element passes when |g_k - fd_k| <= Tol |fd_k| + Ulps u S_k
// + u R_k + N_k, N_k the finite differences' noise above, with Tol = 1e-6
// and Ulps = 16 by default; the forward when
// |y_i - ref_i| <= Tol |ref_i| + Ulps u (|ref_i| + F_i).
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
)

const (
	// Tol is the default relative tolerance beyond float32 rounding.
	Tol = 1e-6
	// Ulps is the default number of float32 unit roundoffs of S_k (or of
	// |out_i| + F_i) that a float32 computation may lose. The worst
	// measured over autograd's operations is about 5 (Winograd
	// convolutions).
	Ulps = 16
	// Perturbation is the relative error of a backward that a check must
	// catch; tests prove it by scaling a backward by 1 + Perturbation.
	Perturbation = 1e-4
	// unitRoundoff32 is float32's unit roundoff.
	unitRoundoff32 = 0x1p-24
	// fdNoise is how many float64 unit roundoffs of an output the
	// reference may lose in a difference.
	fdNoise = 64 * 0x1p-53
)

// Case is an operation's float64 side.
type Case struct {
	// Name names the case in errors.
	Name string
	// Inputs are the operation's inputs, float32 values held in float64.
	Inputs [][]float64
	// Wrt lists the indices of the inputs to differentiate (nil: all).
	Wrt []int
	// Ref is the float64 reference forward over the inputs. It must not
	// modify them.
	Ref func(in [][]float64) []float64
	// Tol and Ulps replace the defaults when not zero; a case that needs
	// it says why.
	Tol, Ulps float64
	// Rounding, if set, bounds for each input differentiated (by position
	// in Wrt) and each of its elements, in units of u, the error of the
	// roundings in the float32 backward that S_k does not see (R_k), given
	// the inputs and r.
	Rounding func(in [][]float64, r []float64) [][]float64
}

// Reference is a Case's reference output and finite-difference gradients.
type Reference struct {
	c         Case
	tol, ulps float64
	want      []float64
	r         []float64
	wrt       []int
	fd, s     [][]float64 // by position in wrt
	noise     [][]float64 // N_k, by position in wrt
	extra     [][]float64 // R_k, nil if none
	f         []float64   // F_i
}

// Margin is how close a check came to failing: the largest error of the
// forward and of any gradient element, each as a fraction of its bound,
// and the largest gradient error relative to the largest finite difference
// of the same input.
type Margin struct{ Forward, Grad, Rel float64 }

// Step is the central-difference step at x: 2^-17, times the power of two
// at or above |x| when |x| > 1.
func Step(x float64) float64 {
	h := 0x1p-17
	if a := math.Abs(x); a > 1 {
		_, e := math.Frexp(a)
		h = math.Ldexp(h, e)
	}
	return h
}

// New evaluates c's reference and its finite differences: two reference
// forwards per input element differentiated.
func New(c Case) *Reference {
	g := &Reference{c: c, tol: c.Tol, ulps: c.Ulps, wrt: c.Wrt}
	if g.tol == 0 {
		g.tol = Tol
	}
	if g.ulps == 0 {
		g.ulps = Ulps
	}
	in := make([][]float64, len(c.Inputs))
	for i, x := range c.Inputs {
		in[i] = append([]float64(nil), x...)
	}
	g.want = c.Ref(in)
	rng := rand.New(rand.NewPCG(7, 11))
	g.r = make([]float64, len(g.want))
	for i := range g.r {
		g.r[i] = float64(float32(rng.Float64()*2 - 1)) // float32-exact, as the seed of a float32 backward
	}
	if g.wrt == nil {
		for i := range in {
			g.wrt = append(g.wrt, i)
		}
	}
	g.f = make([]float64, len(g.want))
	for _, i := range g.wrt {
		fd := make([]float64, len(in[i]))
		s := make([]float64, len(in[i]))
		noise := make([]float64, len(in[i]))
		for k, x0 := range in[i] {
			h := Step(x0)
			in[i][k] = x0 + h
			op := c.Ref(in)
			in[i][k] = x0 - h
			om := c.Ref(in)
			in[i][k] = x0
			for o := range op {
				if d := op[o] - om[o]; d != 0 {
					dodx := d / (2 * h)
					g.f[o] += math.Abs(x0 * dodx)
					fd[k] += g.r[o] * dodx
					s[k] += math.Abs(g.r[o] * dodx)
					noise[k] += fdNoise * math.Abs(g.r[o]) * max(1, math.Abs(op[o]), math.Abs(om[o])) / (2 * h)
				}
			}
		}
		g.fd = append(g.fd, fd)
		g.s = append(g.s, s)
		g.noise = append(g.noise, noise)
	}
	if c.Rounding != nil {
		g.extra = c.Rounding(in, g.r)
	}
	return g
}

// Seed returns r, the gradient of L with respect to the output, to seed
// the float32 backward with.
func (g *Reference) Seed() []float32 {
	out := make([]float32, len(g.r))
	for i, v := range g.r {
		out[i] = float32(v)
	}
	return out
}

// Wrt returns the indices of the inputs differentiated.
func (g *Reference) Wrt() []int { return g.wrt }

// NonZero reports whether the reference gradient of the j-th input
// differentiated (by position in Wrt) has an element that stands out of
// the finite differences' noise: a zero gradient is the same under any
// scaling of a backward.
func (g *Reference) NonZero(j int) bool {
	for k, v := range g.fd[j] {
		if math.Abs(v) > 2*g.noise[j][k] {
			return true
		}
	}
	return false
}

// Compare checks an operation's float32 output and its gradients (by
// position in Wrt; nil where none was computed), returning the first
// disagreement.
func (g *Reference) Compare(out []float32, grads [][]float32) (Margin, error) {
	var m Margin
	name := g.c.Name
	if len(out) != len(g.want) {
		return m, fmt.Errorf("%s: output has %d elements, reference %d", name, len(out), len(g.want))
	}
	for i, v := range out {
		w := g.want[i]
		bound := g.tol*math.Abs(w) + g.ulps*unitRoundoff32*(math.Abs(w)+g.f[i])
		d := math.Abs(float64(v) - w)
		if !(d <= bound) {
			return m, fmt.Errorf("%s: forward[%d] = %.9g, reference %.9g (error %.2g, allowed %.2g)", name, i, v, w, d, bound)
		}
		if d > 0 {
			m.Forward = math.Max(m.Forward, d/bound)
		}
	}
	if len(grads) != len(g.wrt) {
		return m, fmt.Errorf("%s: %d gradients for %d inputs differentiated", name, len(grads), len(g.wrt))
	}
	for j, i := range g.wrt {
		gr := grads[j]
		if gr == nil {
			return m, fmt.Errorf("%s: no gradient for input %d", name, i)
		}
		if len(gr) != len(g.fd[j]) {
			return m, fmt.Errorf("%s: gradient of input %d has %d elements, the input %d", name, i, len(gr), len(g.fd[j]))
		}
		worst, largest := 0.0, 0.0
		for k, v := range gr {
			got, fd := float64(v), g.fd[j][k]
			bound := g.tol*math.Abs(fd) + g.ulps*unitRoundoff32*g.s[j][k] + g.noise[j][k]
			if g.extra != nil {
				bound += unitRoundoff32 * g.extra[j][k]
			}
			d := math.Abs(got - fd)
			if !(d <= bound) {
				return m, fmt.Errorf("%s: d/d input%d[%d] = %.9g, finite difference %.9g (error %.2g, allowed %.2g)",
					name, i, k, got, fd, d, bound)
			}
			if d > 0 {
				m.Grad = math.Max(m.Grad, d/bound)
			}
			worst, largest = math.Max(worst, d), math.Max(largest, math.Abs(fd))
		}
		if largest > 0 {
			m.Rel = math.Max(m.Rel, worst/largest)
		}
	}
	return m, nil
}
