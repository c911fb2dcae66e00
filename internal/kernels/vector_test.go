package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vectorSizes straddle the 8- and 32-element blocks of the assembly and the
// 16 lanes of the reductions.
var vectorSizes = []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 1000, 1031}

// specialVector is random normal data salted with zeros of both signs,
// infinities and NaN when special is set.
func specialVector(rng *rand.Rand, n int, special bool) []float32 {
	x := randSlice(rng, n)
	if special {
		vals := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40}
		for i := range x {
			if rng.IntN(7) == 0 {
				x[i] = vals[rng.IntN(len(vals))]
			}
		}
	}
	return x
}

func sameBits(t *testing.T, op string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s n=%d: element %d = %v (%#x), want %v (%#x)", op, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestElementwise checks the dispatched loops (assembly on amd64) against
// the Go bodies bit for bit, and both against float64 arithmetic rounded to
// float32, which for one operation is the correctly rounded float32 result.
func TestElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	r := func(x float64) float32 { return float32(x) }
	for _, n := range vectorSizes {
		for _, special := range []bool{false, true} {
			x, y, o := specialVector(rng, n, special), specialVector(rng, n, special), specialVector(rng, n, special)
			a := float32(rng.NormFloat64())
			ref := make([]float32, n)

			cases := []struct {
				name string
				run  func(dst []float32)
				gofn func(dst []float32)
				want func(i int) float32
			}{
				{"Axpy", func(d []float32) { copy(d, y); Axpy(a, x, d) }, func(d []float32) { copy(d, y); axpyGo(a, x, d) },
					func(i int) float32 { return r(float64(r(float64(a)*float64(x[i]))) + float64(y[i])) }},
				{"Scal", func(d []float32) { copy(d, x); Scal(a, d) }, func(d []float32) { copy(d, x); scalGo(a, d) },
					func(i int) float32 { return r(float64(a) * float64(x[i])) }},
				{"Add", func(d []float32) { Add(d, x, y) }, func(d []float32) { addGo(d, x, y) },
					func(i int) float32 { return r(float64(x[i]) + float64(y[i])) }},
				{"Mul", func(d []float32) { Mul(d, x, y) }, func(d []float32) { mulGo(d, x, y) },
					func(i int) float32 { return r(float64(x[i]) * float64(y[i])) }},
				{"Relu", func(d []float32) { Relu(d, x) }, func(d []float32) { reluGo(d, x) },
					func(i int) float32 {
						if x[i] < 0 {
							return 0
						}
						return x[i]
					}},
				{"ReluBackward", func(d []float32) { copy(d, y); ReluBackward(d, x, o) }, func(d []float32) { copy(d, y); reluBackwardGo(d, x, o) },
					func(i int) float32 {
						if o[i] > 0 {
							return r(float64(y[i]) + float64(x[i]))
						}
						return y[i]
					}},
			}
			for _, c := range cases {
				got, gofb := make([]float32, n), make([]float32, n)
				c.run(got)
				c.gofn(gofb)
				sameBits(t, c.name+" vs Go", n, got, gofb)
				for i := range ref {
					ref[i] = c.want(i)
				}
				sameBits(t, c.name+" vs float64", n, got, ref)
			}
		}
	}
}

// TestElementwiseInPlace checks dst aliasing an operand.
func TestElementwiseInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	x, y := randSlice(rng, 45), randSlice(rng, 45)
	want := make([]float32, 45)
	Add(want, x, y)
	Add(x, x, y)
	sameBits(t, "Add in place", 45, x, want)
	Relu(want, y)
	Relu(y, y)
	sameBits(t, "Relu in place", 45, y, want)
}

// TestReductions checks Sum, Dot, SumSq and MaxAbs: the dispatched bodies
// against the Go bodies bit for bit, and against plain float64 loops within
// the rounding of a float64 sum.
func TestReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range append(vectorSizes, 100003) {
		x, y := specialVector(rng, n, false), specialVector(rng, n, false)
		var lx, ly [sumLanes]float64
		sumIntoGo(&lx, x)
		dotIntoGo(&ly, x, y)
		var s, d, ss, abs, absd float64
		var m float32
		for i := range x {
			s += float64(x[i])
			abs += math.Abs(float64(x[i]))
			d += float64(x[i]) * float64(y[i])
			absd += math.Abs(float64(x[i]) * float64(y[i]))
			ss += float64(x[i]) * float64(x[i])
			m = max(m, float32(math.Abs(float64(x[i]))))
		}
		tol := func(a float64) float64 { return float64(n+1) * 1.2e-16 * a }
		checks := []struct {
			name      string
			got, gofb float64
			want, abs float64
		}{
			{"Sum", Sum(x), addLanes(&lx), s, abs},
			{"Dot", Dot(x, y), addLanes(&ly), d, absd},
			{"SumSq", SumSq(x), -1, ss, ss},
		}
		for _, c := range checks {
			if c.gofb != -1 && math.Float64bits(c.got) != math.Float64bits(c.gofb) {
				t.Fatalf("%s n=%d: %v, Go body gives %v", c.name, n, c.got, c.gofb)
			}
			if math.Abs(c.got-c.want) > tol(c.abs) {
				t.Fatalf("%s n=%d: %v, want %v", c.name, n, c.got, c.want)
			}
		}
		if got := MaxAbs(x); got != m || got != maxAbsGo(x) {
			t.Fatalf("MaxAbs n=%d: %v, want %v (Go body %v)", n, got, m, maxAbsGo(x))
		}
	}
}

// TestReductionSpecials checks NaN and infinity handling and that results
// do not depend on where in the slice the special value sits.
func TestReductionSpecials(t *testing.T) {
	for _, n := range []int{1, 8, 9, 40, 100} {
		for pos := 0; pos < n; pos += max(1, n/7) {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i%5) - 2
			}
			x[pos] = float32(math.NaN())
			if v := MaxAbs(x); !math.IsNaN(float64(v)) {
				t.Fatalf("MaxAbs n=%d NaN at %d: %v, want NaN", n, pos, v)
			}
			if v := Sum(x); !math.IsNaN(v) {
				t.Fatalf("Sum n=%d NaN at %d: %v, want NaN", n, pos, v)
			}
			x[pos] = float32(math.Inf(-1))
			if v := MaxAbs(x); !math.IsInf(float64(v), 1) {
				t.Fatalf("MaxAbs n=%d -Inf at %d: %v, want +Inf", n, pos, v)
			}
			if v := SumSq(x); !math.IsInf(v, 1) {
				t.Fatalf("SumSq n=%d -Inf at %d: %v, want +Inf", n, pos, v)
			}
		}
	}
	if MaxAbs(nil) != 0 || Sum(nil) != 0 || Dot(nil, nil) != 0 {
		t.Fatal("empty reductions are not 0")
	}
}

// TestReductionDeterministic checks that a reduction of a long slice gives
// the same bits on every call.
func TestReductionDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	x := randSlice(rng, 1<<16+5)
	s, d := Sum(x), Dot(x, x)
	for i := 0; i < 3; i++ {
		if Sum(x) != s || Dot(x, x) != d || SumSq(x) != d {
			t.Fatal("reductions differ between calls")
		}
	}
}

func TestVectorLengthMismatch(t *testing.T) {
	defer func() {
		if s, _ := recover().(string); !contains(s, "Add of slices with lengths 3 and 2") {
			t.Fatalf("panic %q", s)
		}
	}()
	Add(make([]float32, 3), make([]float32, 2), make([]float32, 3))
}

func benchVector(b *testing.B, n int, f func(x, y, z []float32)) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	b.SetBytes(int64(4 * n))
	for b.Loop() {
		f(x, y, z)
	}
}

func BenchmarkVector(b *testing.B) {
	ops := []struct {
		name string
		f    func(x, y, z []float32)
	}{
		{"Axpy", func(x, y, _ []float32) { Axpy(0.5, x, y) }},
		{"Scal", func(x, _, _ []float32) { Scal(1, x) }},
		{"Add", func(x, y, z []float32) { Add(z, x, y) }},
		{"Mul", func(x, y, z []float32) { Mul(z, x, y) }},
		{"Relu", func(x, _, z []float32) { Relu(z, x) }},
		{"ReluBackward", func(x, y, z []float32) { ReluBackward(z, y, x) }},
		{"Sum", func(x, _, _ []float32) { Sum(x) }},
		{"Dot", func(x, y, _ []float32) { Dot(x, y) }},
		{"SumSq", func(x, _, _ []float32) { SumSq(x) }},
		{"MaxAbs", func(x, _, _ []float32) { MaxAbs(x) }},
	}
	for _, op := range ops {
		for _, n := range []int{4096, 1 << 20} {
			b.Run(fmt.Sprintf("%s/%d", op.name, n), func(b *testing.B) { benchVector(b, n, op.f) })
		}
	}
}
