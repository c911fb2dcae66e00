package saliency

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/tensor"
)

// Aggregation reduces a map's channels to one value per pixel.
type Aggregation int

const (
	// AbsMax is the largest absolute value over the channels (Simonyan et
	// al. 2014, sec. 3.1: "the maximum magnitude of w across all colour
	// channels").
	AbsMax Aggregation = iota
	// L2 is the Euclidean norm over the channels.
	L2
	// SignedSum is the plain sum over the channels, keeping the sign
	// (Captum's "all" sign mode sums channels so): for attributions whose
	// sign matters, such as IntegratedGradients and InputXGradient.
	SignedSum
)

var aggregationNames = []string{"absmax", "l2", "sum"}

// String returns the aggregation's name as ParseAggregation reads it.
func (a Aggregation) String() string {
	if a >= 0 && int(a) < len(aggregationNames) {
		return aggregationNames[a]
	}
	return fmt.Sprintf("Aggregation(%d)", int(a))
}

// Signed reports whether the aggregated values keep their sign (and want a
// diverging colour map).
func (a Aggregation) Signed() bool { return a == SignedSum }

// ParseAggregation reads absmax, l2 or sum (also signed-sum).
func ParseAggregation(s string) (Aggregation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "absmax", "abs-max", "max":
		return AbsMax, nil
	case "l2", "norm":
		return L2, nil
	case "sum", "signed-sum", "signedsum":
		return SignedSum, nil
	}
	return 0, fmt.Errorf("saliency: unknown channel aggregation %q (known: %s)", s, strings.Join(aggregationNames, ", "))
}

// Aggregate reduces maps [N,C,H,W] to [N,H,W].
func Aggregate(maps *tensor.Tensor, a Aggregation) (*tensor.Tensor, error) {
	if maps == nil || maps.NDim() != 4 {
		return nil, fmt.Errorf("saliency: Aggregate needs maps [N C H W], got %s", shapeOf(maps))
	}
	if a < 0 || int(a) >= len(aggregationNames) {
		return nil, fmt.Errorf("saliency: unknown aggregation %v", a)
	}
	n, c, h, w := maps.Dim(0), maps.Dim(1), maps.Dim(2), maps.Dim(3)
	hw := h * w
	out := tensor.New(n, h, w)
	src, dst := maps.Data(), out.Data()
	for i := 0; i < n; i++ {
		for p := 0; p < hw; p++ {
			var acc float64
			for ch := 0; ch < c; ch++ {
				v := float64(src[(i*c+ch)*hw+p])
				switch a {
				case AbsMax:
					acc = max(acc, math.Abs(v))
				case L2:
					acc += v * v
				case SignedSum:
					acc += v
				}
			}
			if a == L2 {
				acc = math.Sqrt(acc)
			}
			dst[i*hw+p] = float32(acc)
		}
	}
	return out, nil
}

// Percentile returns the p-th percentile (p in [0,100]) of |v| over values,
// interpolating linearly between the two nearest ranks (numpy's default
// method): the scale heat maps are drawn at, so that a few outlying pixels
// do not wash out the rest. It is 0 for no values.
func Percentile(values []float32, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := make([]float64, len(values))
	for i, v := range values {
		s[i] = math.Abs(float64(v))
	}
	slices.Sort(s)
	p = min(max(p, 0), 100)
	pos := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

func shapeOf(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return tensor.FormatShape(t.Shape())
}
