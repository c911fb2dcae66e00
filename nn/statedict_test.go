package nn

import (
	"errors"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// tinyNet is a two-level module: a Sequential holding a conv and a batch
// norm, then a linear layer.
func tinyNet(seed uint64) *Sequential {
	rng := tensor.NewRNG(seed)
	block := NewSequential(NewConv2d(rng, 3, 4, 3, autograd.ConvOptions{Padding: [2]int{1, 1}}, false), NewBatchNorm2d(4))
	return NewSequential(block, NewFlatten(), NewLinear(rng, 4*2*2, 5, true))
}

func TestStateDictNames(t *testing.T) {
	sd := StateDict(tinyNet(1))
	want := []string{"0.0.weight", "0.1.weight", "0.1.bias", "0.1.running_mean", "0.1.running_var",
		"0.1.num_batches_tracked", "2.weight", "2.bias"}
	if len(sd) != len(want) {
		t.Fatalf("state dict has %d entries, want %d: %v", len(sd), len(want), sd)
	}
	for _, n := range want {
		if sd[n] == nil {
			t.Errorf("state dict lacks %q", n)
		}
	}
	if got := NumParams(tinyNet(1)); got != 4*3*9+4+4+16*5+5 {
		t.Errorf("NumParams = %d", got)
	}
}

func TestLoadStateDictRoundTrip(t *testing.T) {
	a, b := tinyNet(1), tinyNet(2)
	src := StateDict(a)
	copied := map[string]*tensor.Tensor{}
	for k, v := range src {
		copied[k] = v.Clone()
	}
	copied["0.1.running_var"].Fill(3)
	if err := LoadStateDict(b, copied); err != nil {
		t.Fatal(err)
	}
	got := StateDict(b)
	for name, want := range copied {
		for i, v := range want.Data() {
			if got[name].Data()[i] != v {
				t.Fatalf("%s[%d] = %g after load, want %g", name, i, got[name].Data()[i], v)
			}
		}
	}
	// Loading copies: changing the source afterwards does not reach b.
	copied["2.bias"].Fill(42)
	if got["2.bias"].Data()[0] == 42 {
		t.Fatal("LoadStateDict aliased the source tensor")
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	m := tinyNet(1)
	before := StateDict(m)["2.weight"].Clone()
	sd := map[string]*tensor.Tensor{}
	for k, v := range StateDict(tinyNet(3)) {
		sd[k] = v.Clone()
	}
	delete(sd, "0.1.running_mean")
	sd["fc.weight"] = tensor.New(2)
	sd["0.0.weight"] = tensor.New(4, 1, 3, 3)

	err := LoadStateDict(m, sd)
	var se *StateDictError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *StateDictError", err)
	}
	if len(se.Missing) != 1 || se.Missing[0] != "0.1.running_mean" {
		t.Errorf("missing %v", se.Missing)
	}
	if len(se.Unexpected) != 1 || se.Unexpected[0] != "fc.weight" {
		t.Errorf("unexpected %v", se.Unexpected)
	}
	if len(se.Mismatched) != 1 || se.Mismatched[0].Name != "0.0.weight" {
		t.Errorf("mismatched %v", se.Mismatched)
	}
	msg := err.Error()
	for _, want := range []string{`"0.0.weight"`, "[4 1 3 3]", "[4 3 3 3]", `missing "0.1.running_mean"`, `unexpected "fc.weight"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %s", msg, want)
		}
	}
	// A failed load changes nothing, not even the tensors that did fit.
	for i, v := range StateDict(m)["2.weight"].Data() {
		if v != before.Data()[i] {
			t.Fatal("a failed LoadStateDict modified the model")
		}
	}
}

func TestStateDictErrorElidesLongLists(t *testing.T) {
	e := &StateDictError{Missing: strings.Split("a b c d e f g h i j k", " ")}
	if msg := e.Error(); !strings.Contains(msg, "and 3 more") || strings.Contains(msg, `"i"`) {
		t.Fatalf("message %q", msg)
	}
}
