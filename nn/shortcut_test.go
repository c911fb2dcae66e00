package nn

import (
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

func TestPadShortcut(t *testing.T) {
	for _, c := range []struct {
		name                  string
		stride, before, after int
		shape                 []int
	}{
		{"cifar", 2, 4, 4, []int{2, 8, 6, 6}},
		{"odd size", 2, 1, 2, []int{1, 3, 5, 7}},
		{"stride 1", 1, 0, 3, []int{2, 2, 3, 3}},
		{"stride 3", 3, 2, 0, []int{1, 2, 7, 4}},
	} {
		p := NewPadShortcut(c.stride, c.before, c.after)
		n, ch, h, w := c.shape[0], c.shape[1], c.shape[2], c.shape[3]
		s := c.stride
		oc, oh, ow := c.before+ch+c.after, (h+s-1)/s, (w+s-1)/s
		ref := func(x []float64) []float64 {
			y := make([]float64, n*oc*oh*ow)
			for i := 0; i < n; i++ {
				for o := 0; o < oc; o++ {
					src := o - c.before
					if src < 0 || src >= ch {
						continue
					}
					for yy := 0; yy < oh; yy++ {
						for xx := 0; xx < ow; xx++ {
							y[((i*oc+o)*oh+yy)*ow+xx] = x[((i*ch+src)*h+yy*s)*w+xx*s]
						}
					}
				}
			}
			return y
		}
		checkLayer(t, "PadShortcut "+c.name, tensor.RandN(tensor.NewRNG(2), 0, 1, c.shape...), p.Forward, ref)
	}
}
