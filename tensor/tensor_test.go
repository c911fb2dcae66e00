package tensor

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func seq(shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(i)
	}
	return t
}

func mustPanicShape(t *testing.T, f func(), want ...string) {
	t.Helper()
	defer func() {
		r := recover()
		err, ok := r.(error)
		var se *ShapeError
		if !ok || !errors.As(err, &se) {
			t.Fatalf("want a *ShapeError panic, got %v", r)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("error %q does not mention %q", err, w)
			}
		}
	}()
	f()
}

func TestCreationAndViews(t *testing.T) {
	x := seq(2, 3, 4)
	if x.Len() != 24 || x.NDim() != 3 || x.Dim(-1) != 4 {
		t.Fatalf("shape bookkeeping wrong: %v", x.Shape())
	}
	if got := x.At(1, 2, 3); got != 23 {
		t.Fatalf("At(1,2,3) = %g, want 23", got)
	}
	r := x.Reshape(6, -1)
	if r.Dim(1) != 4 {
		t.Fatalf("inferred dim = %d, want 4", r.Dim(1))
	}
	r.Set(100, 0, 0)
	if x.At(0, 0, 0) != 100 {
		t.Fatal("Reshape must be a view")
	}
	s := x.Slice(1, 2)
	if s.Dim(0) != 1 || s.At(0, 0, 0) != 12 {
		t.Fatalf("Slice view wrong: %v", s)
	}
	if x.Index(1).At(2, 3) != 23 {
		t.Fatal("Index view wrong")
	}
	c := x.Clone()
	c.Set(-1, 0, 0, 0)
	if x.At(0, 0, 0) == -1 {
		t.Fatal("Clone must copy")
	}
	mustPanicShape(t, func() { x.Reshape(5, 5) }, "[2 3 4]", "[5 5]")
	mustPanicShape(t, func() { FromSlice(make([]float32, 5), 2, 3) }, "[5]", "[2 3]")
}

func TestElementwiseAndMismatch(t *testing.T) {
	a, b := seq(2, 3), Full(2, 2, 3)
	want := func(name string, got *Tensor, f func(x float32) float32) {
		for i, v := range got.Data() {
			if w := f(float32(i)); v != w {
				t.Fatalf("%s[%d] = %g, want %g", name, i, v, w)
			}
		}
	}
	want("Add", Add(a, b), func(x float32) float32 { return x + 2 })
	want("Sub", Sub(a, b), func(x float32) float32 { return x - 2 })
	want("Mul", Mul(a, b), func(x float32) float32 { return x * 2 })
	want("Div", Div(a, b), func(x float32) float32 { return x / 2 })
	want("Scale", Scale(a, 3), func(x float32) float32 { return 3 * x })
	want("AddScalar", AddScalar(a, 1), func(x float32) float32 { return x + 1 })
	want("Clamp", Clamp(a, 1, 3), func(x float32) float32 { return min(max(x, 1), 3) })
	mustPanicShape(t, func() { Add(a, seq(3, 2)) }, "[2 3]", "[3 2]")
	mustPanicShape(t, func() { a.AddInPlace(seq(6)) }, "[6]", "[2 3]")
	if err := a.CheckShape("input", -1, 3); err != nil {
		t.Fatalf("CheckShape wildcard: %v", err)
	}
	if err := a.CheckShape("input", 3, 2); err == nil || !strings.Contains(err.Error(), "[3 2]") {
		t.Fatalf("CheckShape must name the expected shape, got %v", err)
	}
}

func TestReductions(t *testing.T) {
	x := seq(2, 3, 4)
	// Sum over axis 1: out[i][k] = sum_j (12i + 4j + k) = 36i + 12 + 3k.
	s := x.Sum(1)
	if !SameShape(s.Shape(), []int{2, 4}) {
		t.Fatalf("Sum shape %v", s.Shape())
	}
	for i := 0; i < 2; i++ {
		for k := 0; k < 4; k++ {
			if got, w := s.At(i, k), float32(36*i+12+3*k); got != w {
				t.Fatalf("Sum(1)[%d,%d] = %g, want %g", i, k, got, w)
			}
		}
	}
	m := x.Mean(2)
	if got := m.At(1, 2); got != float32(12+8)+1.5 {
		t.Fatalf("Mean(2)[1,2] = %g", got)
	}
	mx := x.Max(0)
	if mx.At(2, 3) != 23 || mx.At(0, 0) != 12 {
		t.Fatalf("Max(0) wrong: %v", mx)
	}
	y := FromSlice([]float32{1, 5, 5, 2, -1, 0}, 2, 3)
	am := y.ArgMax(1)
	if am[0] != 1 || am[1] != 0 {
		t.Fatalf("ArgMax = %v, want [1 0] (first of ties)", am)
	}
	if x.SumAll() != 276 || x.MaxAll() != 23 || x.MinAll() != 0 {
		t.Fatal("whole-tensor reductions wrong")
	}
	if !(math.Abs(x.MeanAll()-11.5) <= 1e-12) {
		t.Fatal("MeanAll wrong")
	}
}

func TestPermuteConcatStack(t *testing.T) {
	x := seq(2, 3, 4)
	p := x.Permute(2, 0, 1)
	if !SameShape(p.Shape(), []int{4, 2, 3}) {
		t.Fatalf("Permute shape %v", p.Shape())
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if p.At(k, i, j) != x.At(i, j, k) {
					t.Fatalf("Permute[%d,%d,%d] wrong", k, i, j)
				}
			}
		}
	}
	tr := seq(2, 3).Transpose()
	if tr.At(2, 1) != 5 {
		t.Fatal("Transpose wrong")
	}
	c := Concat(1, seq(2, 1), Full(9, 2, 2))
	want := []float32{0, 9, 9, 1, 9, 9}
	for i, v := range c.Data() {
		if v != want[i] {
			t.Fatalf("Concat = %v, want %v", c.Data(), want)
		}
	}
	mustPanicShape(t, func() { Concat(1, seq(2, 1), seq(3, 1)) }, "[3 1]", "[2 1]")
	st := Stack(seq(2), Full(7, 2))
	if !SameShape(st.Shape(), []int{2, 2}) || st.At(1, 0) != 7 {
		t.Fatal("Stack wrong")
	}
}

func TestRandomIsSeeded(t *testing.T) {
	a := RandN(NewRNG(42), 0, 1, 1000)
	b := RandN(NewRNG(42), 0, 1, 1000)
	c := RandN(NewRNG(43), 0, 1, 1000)
	same := true
	for i := range a.Data() {
		if a.Data()[i] != b.Data()[i] {
			t.Fatal("same seed must give the same draws")
		}
		same = same && a.Data()[i] == c.Data()[i]
	}
	if same {
		t.Fatal("different seeds gave identical draws")
	}
	if m := a.MeanAll(); !(math.Abs(m) <= 0.1) {
		t.Fatalf("normal mean %g far from 0", m)
	}
	u := RandU(NewRNG(1), 2, 3, 1000)
	if u.MinAll() < 2 || u.MaxAll() >= 3 {
		t.Fatal("uniform draws out of range")
	}
	if !u.AllFinite() {
		t.Fatal("AllFinite false on finite data")
	}
	u.Data()[3] = float32(math.NaN())
	if u.AllFinite() {
		t.Fatal("AllFinite true with a NaN")
	}
}
