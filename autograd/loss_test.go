package autograd

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// refCrossEntropy is the mean over examples of -sum_k target_k log p_k with
// the label-smoothed target (1-s) onehot + s/K, from the float64 log-softmax.
func refCrossEntropy(x []float64, labels []int, k int, s float64) float64 {
	lp := refLogSoftmax(x, k)
	total := 0.0
	for r, y := range labels {
		for i := 0; i < k; i++ {
			target := s / float64(k)
			if i == y {
				target += 1 - s
			}
			total -= target * lp[r*k+i]
		}
	}
	return total / float64(len(labels))
}

func TestGradCrossEntropy(t *testing.T) {
	var cases []gradCase
	for i, c := range []struct {
		n, k   int
		labels []int
		s      float32
	}{
		{5, 7, []int{0, 6, 3, 3, 1}, 0},
		{5, 7, []int{0, 6, 3, 3, 1}, 0.1},
		{4, 3, []int{2, 1, 0, 2}, 0.5},
		{3, 4, []int{1, 1, 3}, 1},
		{1, 2, []int{1}, 0.05},
	} {
		x := randT(uint64(30+i), -4, 4, c.n, c.k)
		cases = append(cases, gradCase{
			name:   fmt.Sprintf("n%d_k%d_s%g", c.n, c.k, c.s),
			inputs: []*tensor.Tensor{x},
			build:  func(in []*Var) *Var { return CrossEntropy(in[0], c.labels, c.s) },
			ref: func(in [][]float64) []float64 {
				return []float64{refCrossEntropy(in[0], c.labels, c.k, float64(c.s))}
			},
			// The gradient (p - target) / n is formed from the softmax p
			// and the target, each rounded once to float32: where they
			// nearly agree (a confident right answer under smoothing)
			// their rounding, u (p + target), is far more than u |p -
			// target|.
			rounding: func(in [][]float64, r []float64) [][]float64 {
				p := refLogSoftmax(in[0], c.k)
				for i, y := range c.labels {
					for j := 0; j < c.k; j++ {
						target := float64(c.s) / float64(c.k)
						if j == y {
							target += 1 - float64(c.s)
						}
						p[i*c.k+j] = math.Abs(r[0]) * (math.Exp(p[i*c.k+j]) + target) / float64(c.n)
					}
				}
				return [][]float64{p}
			},
		})
	}
	checkGradBoth(t, cases)
}

// TestCrossEntropyLarge: a batch above the parallel threshold matches the
// float64 reference and is bit-identical with 1, 2 and 3 workers.
func TestCrossEntropyLarge(t *testing.T) {
	n, k := 1024, 100
	x := randT(40, -8, 8, n, k)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = (i * 37) % k
	}
	run := func() (float32, []float32) {
		tp := NewTape()
		xv := tp.Input(x)
		loss := CrossEntropy(xv, labels, 0.1)
		tp.Backward(loss, xv)
		return loss.Value.Item(), xv.Grad.Clone().Data()
	}
	old := kernels.SetThreads(1)
	defer kernels.SetThreads(old)
	l1, g1 := run()
	for _, th := range []int{2, 3} {
		kernels.SetThreads(th)
		l, g := run()
		if math.Float32bits(l) != math.Float32bits(l1) {
			t.Fatalf("%d workers: loss %g, 1 worker %g", th, l, l1)
		}
		for i := range g {
			if math.Float32bits(g[i]) != math.Float32bits(g1[i]) {
				t.Fatalf("%d workers: grad[%d] %g, 1 worker %g", th, i, g[i], g1[i])
			}
		}
	}
	if want := refCrossEntropy(toF64(x), labels, k, 0.1); !(math.Abs(float64(l1)-want) <= 1e-6*want) {
		t.Fatalf("loss %g, reference %g", l1, want)
	}
}

func TestCrossEntropyBadInputPanics(t *testing.T) {
	for _, c := range []struct {
		name   string
		shape  []int
		labels []int
		s      float32
		want   string
	}{
		{"label too large", []int{3, 4}, []int{0, 1, 4}, 0, "label 4 of example 2 is outside [0, 4)"},
		{"negative label", []int{2, 4}, []int{-1, 1}, 0, "label -1 of example 0 is outside [0, 4)"},
		{"label count", []int{3, 4}, []int{0, 1}, 0, "2 labels for 3 examples"},
		{"smoothing", []int{2, 4}, []int{0, 1}, 1.5, "label smoothing 1.5 is outside [0, 1]"},
		{"shape", []int{2, 4, 1}, []int{0, 1}, 0, "logits must be [N,K]"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("%s: recovered %v, want a panic saying %q", c.name, r, c.want)
				}
			}()
			tp := NewTape()
			CrossEntropy(tp.Input(tensor.New(c.shape...)), c.labels, c.s)
		}()
	}
}

// refKLDiv is sum(p (log p - logQ)) / N with 0 log 0 = 0.
func refKLDiv(logQ, p []float64, n int) float64 {
	s := 0.0
	for i, pv := range p {
		if pv != 0 {
			s += pv * (math.Log(pv) - logQ[i])
		}
	}
	return s / float64(n)
}

func TestGradKLDiv(t *testing.T) {
	var cases []gradCase
	for i, shape := range [][]int{{4, 5}, {2, 3, 2}, {1, 6}} {
		n := shape[0]
		logQ := tensor.FromSlice(toF32(refLogSoftmax(toF64(randT(uint64(50+i), -2, 2, shape...)), shape[len(shape)-1])), shape...)
		p := randT(uint64(60+i), 0.05, 1, shape...) // unnormalized is fine: the formula does not assume it
		for _, wrt := range [][]int{{0, 1}, {0}, {1}} {
			cases = append(cases, gradCase{
				name:   fmt.Sprintf("%v_wrt%v", shape, wrt),
				inputs: []*tensor.Tensor{logQ, p},
				wrt:    wrt,
				build:  func(in []*Var) *Var { return KLDiv(in[0], in[1]) },
				ref:    func(in [][]float64) []float64 { return []float64{refKLDiv(in[0], in[1], n)} },
			})
		}
	}
	checkGradBoth(t, cases)
}

func toF32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestKLDivZeroTarget: an element with p = 0 adds nothing to the loss and
// gets gradient 0 with respect to p, -0 with respect to logQ.
func TestKLDivZeroTarget(t *testing.T) {
	tp := NewTape()
	logQ := tp.Input(tensor.FromSlice([]float32{-0.5, -1, -2, -0.1}, 2, 2))
	p := tp.Input(tensor.FromSlice([]float32{0, 1, 0.25, 0.75}, 2, 2))
	loss := KLDiv(logQ, p)
	tp.Backward(loss, logQ, p)
	want := (1*(0+1) + 0.25*(math.Log(0.25)+2) + 0.75*(math.Log(0.75)+0.1)) / 2
	if !(math.Abs(float64(loss.Value.Item())-want) <= 1e-6) {
		t.Fatalf("loss %g, want %g", loss.Value.Item(), want)
	}
	if g := p.Grad.Data()[0]; g != 0 {
		t.Errorf("d/dp at p = 0: %g, want 0", g)
	}
	if g := logQ.Grad.Data()[0]; g != 0 {
		t.Errorf("d/dlogQ at p = 0: %g, want 0", g)
	}
	if g, w := p.Grad.Data()[1], (math.Log(1)+1+1)/2; !(math.Abs(float64(g)-w) <= 1e-6) {
		t.Errorf("d/dp[1] = %g, want %g", g, w)
	}
}

func TestLossOnlyNeededGrads(t *testing.T) {
	tp := NewTape()
	logQ := tp.Input(tensor.FromSlice([]float32{-0.5, -1, -2, -0.1}, 2, 2))
	p := tp.Input(tensor.FromSlice([]float32{0.5, 0.5, 0.25, 0.75}, 2, 2))
	loss := KLDiv(logQ, p)
	tp.Backward(loss, logQ)
	if logQ.Grad == nil || p.Grad != nil {
		t.Fatalf("asked for logQ only: logQ grad %v, p grad %v", logQ.Grad, p.Grad)
	}
	tp.Backward(loss, p)
	if logQ.Grad != nil || p.Grad == nil {
		t.Fatalf("asked for p only: logQ grad %v, p grad %v", logQ.Grad, p.Grad)
	}
}

// BenchmarkCrossEntropy is the loss and its gradient on ImageNet-sized
// logits.
func BenchmarkCrossEntropy(b *testing.B) {
	tp := NewTape()
	x := randT(1, -4, 4, 256, 1000)
	labels := make([]int, 256)
	for i := range labels {
		labels[i] = i * 3
	}
	for b.Loop() {
		tp.Reset()
		xv := tp.Input(x)
		tp.Backward(CrossEntropy(xv, labels, 0.1), xv)
	}
}

// TestLossesEmptyBatch: the mean over no examples is NaN, as in PyTorch,
// not a panic.
func TestLossesEmptyBatch(t *testing.T) {
	tp := NewTape()
	x := tp.Input(tensor.New(0, 4))
	if l := CrossEntropy(x, nil, 0).Value.Item(); !math.IsNaN(float64(l)) {
		t.Errorf("CrossEntropy of no examples = %g, want NaN", l)
	}
	if l := KLDiv(x, tp.Input(tensor.New(0, 4))).Value.Item(); !math.IsNaN(float64(l)) {
		t.Errorf("KLDiv of no examples = %g, want NaN", l)
	}
}
