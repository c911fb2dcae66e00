package saliency

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Baseline is the reference image that IntegratedGradients starts its path
// from and that deletion and insertion replace pixels with: "no
// information", in one of the forms Sturmfels et al. 2020 ("Visualizing the
// Impact of Feature Attribution Baselines", Distill) compare.
type Baseline int

const (
	// DefaultBaseline is the zero value: the default of whatever uses it
	// (Black for IntegratedGradients and deletion, Blur for insertion).
	DefaultBaseline Baseline = iota
	// Black is the all-zero image (Sundararajan et al. 2017's choice).
	Black
	// Blur is the image blurred with a Gaussian of Options.BlurSigma
	// pixels: edges and texture gone, colours kept (Fong & Vedaldi 2017;
	// Petsiuk et al. 2018's insertion canvas).
	Blur
	// Uniform is uniform noise in [0,1], drawn for each image from a
	// generator seeded by (Options.Seed, image index).
	Uniform
)

var baselineNames = []string{"default", "black", "blur", "uniform"}

// String returns the baseline's name as ParseBaseline reads it.
func (b Baseline) String() string {
	if b >= 0 && int(b) < len(baselineNames) {
		return baselineNames[b]
	}
	return fmt.Sprintf("Baseline(%d)", int(b))
}

// ParseBaseline reads black (or zero), blur (or blurred), uniform (or
// noise) or default.
func ParseBaseline(s string) (Baseline, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "default", "":
		return DefaultBaseline, nil
	case "black", "zero", "zeros":
		return Black, nil
	case "blur", "blurred":
		return Blur, nil
	case "uniform", "noise":
		return Uniform, nil
	}
	return 0, fmt.Errorf("saliency: unknown baseline %q (known: %s)", s, strings.Join(baselineNames, ", "))
}

// checkBlur rejects a blur sigma that is not a number or so wide (beyond
// 16 image sizes) that its kernel would be a waste of memory: the blur of
// a smaller one is already flat.
func checkBlur(sigma float64, h, w int) error {
	if limit := 16 * float64(max(h, w)); !(sigma > 0 && sigma <= limit) {
		return fmt.Errorf("saliency: blur sigma %g pixels outside (0, %g] for %dx%d images", sigma, limit, h, w)
	}
	return nil
}

// baselineImage writes image i's baseline into dst; x is the image, C x H x
// W. DefaultBaseline must have been resolved by the caller.
func baselineImage(b Baseline, dst, x []float32, c, h, w int, sigma float64, seed uint64, i int) error {
	switch b {
	case Black:
		clear(dst)
	case Blur:
		gaussianBlur(dst, x, c, h, w, sigma)
	case Uniform:
		// The stream differs from every SmoothGrad sample's (s < 2^32-1).
		rng := rand.New(rand.NewPCG(seed, uint64(i)<<32|math.MaxUint32))
		for j := range dst {
			dst[j] = float32(rng.Float64())
		}
	default:
		return fmt.Errorf("saliency: unknown baseline %v", b)
	}
	return nil
}

// gaussianBlur blurs each channel of src (C x H x W) into dst with a
// Gaussian of standard deviation sigma pixels, truncated at 3 sigma (kernel
// size 2*ceil(3 sigma)+1) and normalized to sum 1, the image mirrored about
// its edges (torchvision's gaussian_blur with that kernel size, whose
// "reflect" padding this extends to kernels wider than the image). It is
// separable: rows, then columns, accumulated in float64.
func gaussianBlur(dst, src []float32, c, h, w int, sigma float64) {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for j := range k {
		d := float64(j-r) / sigma
		k[j] = math.Exp(-0.5 * d * d)
		sum += k[j]
	}
	for j := range k {
		k[j] /= sum
	}
	tmp := make([]float64, h*w)
	for ch := 0; ch < c; ch++ {
		plane := src[ch*h*w : (ch+1)*h*w]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc float64
				for j, kv := range k {
					acc += kv * float64(plane[y*w+reflect(x+j-r, w)])
				}
				tmp[y*w+x] = acc
			}
		}
		out := dst[ch*h*w : (ch+1)*h*w]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc float64
				for j, kv := range k {
					acc += kv * tmp[reflect(y+j-r, h)*w+x]
				}
				out[y*w+x] = float32(acc)
			}
		}
	}
}

// reflect maps an index outside [0, n) back inside by mirroring about the
// first and last elements, edge not repeated (numpy's "reflect"), as many
// times as needed.
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	p := 2 * (n - 1)
	i %= p
	if i < 0 {
		i += p
	}
	if i >= n {
		i = p - i
	}
	return i
}
