package tensor

import (
	"math"
	"math/rand/v2"
)

// NewRNG returns the seeded generator robustlab uses everywhere: PCG, whose
// state marshals with MarshalBinary so training can resume bit-identically.
func NewRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// RandN returns a tensor of independent normal draws with the given mean and
// standard deviation.
func RandN(rng *rand.Rand, mean, std float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = mean + std*float32(rng.NormFloat64())
	}
	return t
}

// RandU returns a tensor of independent uniform draws in [lo, hi).
func RandU(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*float32(rng.Float64())
	}
	return t
}

// FillNormal overwrites t with normal draws.
func (t *Tensor) FillNormal(rng *rand.Rand, mean, std float32) {
	for i := range t.data {
		t.data[i] = mean + std*float32(rng.NormFloat64())
	}
}

// FillUniform overwrites t with uniform draws in [lo, hi).
func (t *Tensor) FillUniform(rng *rand.Rand, lo, hi float32) {
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*float32(rng.Float64())
	}
}

// AllFinite reports whether no element is NaN or infinite.
func (t *Tensor) AllFinite() bool {
	for _, v := range t.data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}
