package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// TestSequentialFusesBatchNormReLU: a Sequential of convolution, batch norm
// and ReLU gives the bits of the layers run one by one, forward and
// backward, in both modes; with a hook on the batch norm, the hook still
// sees the batch norm's own output (negative values and all).
func TestSequentialFusesBatchNormReLU(t *testing.T) {
	build := func() (*Sequential, *Conv2d, *BatchNorm2d) {
		rng := rand.New(rand.NewPCG(1, 2))
		conv := NewConv2d(rng, 3, 4, 3, autograd.ConvOptions{Padding: [2]int{1, 1}}, false)
		bn := NewBatchNorm2d(4)
		return NewSequential(conv, bn, NewReLU()), conv, bn
	}
	x := tensor.RandU(tensor.NewRNG(3), -1, 1, 2, 3, 5, 5)
	for _, training := range []bool{true, false} {
		run := func(fused, hook bool) (out, dx, dw []float32, hookMin float32) {
			seq, conv, bn := build()
			SetTraining(seq, training)
			hookMin = float32(math.Inf(1))
			if hook {
				OnForward(bn, func(o *autograd.Var) {
					for _, v := range o.Data() {
						hookMin = min(hookMin, v)
					}
				})
			}
			tp := autograd.NewTape()
			in := tp.Input(x)
			var y *autograd.Var
			if fused {
				y = Call(seq, in)
			} else {
				y = autograd.Relu(Call(bn, Call(conv, in)))
			}
			tp.BackwardWith(y, tensor.RandU(tensor.NewRNG(4), -1, 1, y.Shape()...), in, conv.Weight)
			return y.Data(), in.Grad.Data(), conv.Weight.Grad.Data(), hookMin
		}
		y0, dx0, dw0, _ := run(false, false)
		for _, hook := range []bool{false, true} {
			y1, dx1, dw1, hmin := run(true, hook)
			for _, p := range []struct {
				name      string
				got, want []float32
			}{{"output", y1, y0}, {"input gradient", dx1, dx0}, {"weight gradient", dw1, dw0}} {
				for i := range p.want {
					if math.Float32bits(p.got[i]) != math.Float32bits(p.want[i]) {
						t.Fatalf("training %v hook %v: %s[%d] = %g, layer by layer %g", training, hook, p.name, i, p.got[i], p.want[i])
					}
				}
			}
			if hook && !(hmin < 0) {
				t.Fatalf("training %v: the hook on the batch norm saw a minimum of %g, not the pre-ReLU output", training, hmin)
			}
		}
	}
}
