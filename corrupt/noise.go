// Package corrupt applies image corruptions at graded severities: each is a
// pure function of (image, severity, rng), on float32 CHW images in [0, 1],
// so that the same seed always gives the same corrupted image.
//
// The noise families follow their sources: Gaussian, shot, impulse and
// speckle noise as in ImageNet-C (Hendrycks & Dietterich 2019, the
// imagecorruptions package's severity constants for ImageNet); uniform and
// salt-and-pepper noise as in Geirhos et al. 2018, "Generalisation in humans
// and deep neural networks" (noise added per pixel, then clipped to [0, 1]).
//
// Evaluate measures a classifier's accuracy under corruptions at each
// severity, every model seeing the same corrupted images.
package corrupt

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Func corrupts img (C*H*W values, channels first) in place at severity 1..5.
type Func func(img []float32, c, h, w int, severity int, rng *rand.Rand)

// Corruption is a named corruption with its severity constants.
type Corruption struct {
	Name string
	// Levels holds the family's parameter at severities 1..5 (a standard
	// deviation, a width or an amount; Doc says which).
	Levels [5]float64
	// Doc says what the parameter is.
	Doc   string
	Apply Func
}

var registry = map[string]*Corruption{}

func register(c *Corruption) { registry[c.Name] = c }

// Names lists the available corruptions, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(registry))
}

// Get returns the named corruption or an error listing the known names.
func Get(name string) (*Corruption, error) {
	c, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("corrupt: unknown corruption %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return c, nil
}

// CheckSeverity returns an error unless 1 <= s <= 5.
func CheckSeverity(s int) error {
	if s < 1 || s > 5 {
		return fmt.Errorf("corrupt: severity %d out of range 1..5", s)
	}
	return nil
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

func init() {
	register(&Corruption{
		Name:   "gaussian",
		Levels: [5]float64{0.08, 0.12, 0.18, 0.26, 0.38},
		Doc:    "standard deviation of additive Gaussian noise, per element (ImageNet-C gaussian_noise)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			sigma := registry["gaussian"].Levels[s-1]
			for i, v := range img {
				img[i] = clamp01(v + float32(sigma*rng.NormFloat64()))
			}
		},
	})
	register(&Corruption{
		Name:   "uniform",
		Levels: [5]float64{0.1, 0.2, 0.35, 0.6, 0.9},
		Doc:    "half-width w of additive uniform noise U(-w, w), per element (Geirhos et al. 2018)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			width := registry["uniform"].Levels[s-1]
			for i, v := range img {
				img[i] = clamp01(v + float32(width*(2*rng.Float64()-1)))
			}
		},
	})
	register(&Corruption{
		Name:   "salt-pepper",
		Levels: [5]float64{0.03, 0.06, 0.1, 0.17, 0.27},
		Doc:    "fraction of pixels replaced, half by white and half by black, all channels of a pixel together (Geirhos et al. 2018)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			amount := registry["salt-pepper"].Levels[s-1]
			plane := h * w
			for p := 0; p < plane; p++ {
				u := rng.Float64()
				if u >= amount {
					continue
				}
				var v float32
				if u < amount/2 {
					v = 1
				}
				for ch := 0; ch < c; ch++ {
					img[ch*plane+p] = v
				}
			}
		},
	})
	register(&Corruption{
		Name:   "impulse",
		Levels: [5]float64{0.03, 0.06, 0.09, 0.17, 0.27},
		Doc:    "fraction of elements replaced by 0 or 1 independently per channel (ImageNet-C impulse_noise)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			amount := registry["impulse"].Levels[s-1]
			for i := range img {
				u := rng.Float64()
				if u < amount/2 {
					img[i] = 1
				} else if u < amount {
					img[i] = 0
				}
			}
		},
	})
	register(&Corruption{
		Name:   "shot",
		Levels: [5]float64{60, 25, 12, 5, 3},
		Doc:    "photons per unit intensity of Poisson noise (ImageNet-C shot_noise; lower is stronger)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			lambda := registry["shot"].Levels[s-1]
			for i, v := range img {
				img[i] = clamp01(float32(poisson(rng, float64(v)*lambda) / lambda))
			}
		},
	})
	register(&Corruption{
		Name:   "speckle",
		Levels: [5]float64{0.15, 0.2, 0.35, 0.45, 0.6},
		Doc:    "standard deviation of multiplicative Gaussian noise x + x*n (ImageNet-C speckle_noise)",
		Apply: func(img []float32, c, h, w, s int, rng *rand.Rand) {
			sigma := registry["speckle"].Levels[s-1]
			for i, v := range img {
				img[i] = clamp01(v + v*float32(sigma*rng.NormFloat64()))
			}
		},
	})
}

// poisson draws from a Poisson distribution with mean mu: Knuth's product
// method for small means, a rounded normal approximation above 30.
func poisson(rng *rand.Rand, mu float64) float64 {
	if mu <= 0 {
		return 0
	}
	if mu > 30 {
		return math.Max(0, math.Round(mu+math.Sqrt(mu)*rng.NormFloat64()))
	}
	l, k, p := math.Exp(-mu), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
