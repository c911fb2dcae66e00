package data

import (
	"strings"
	"testing"
)

func TestSpecErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "empty"},
		{"imagenet:val", `unknown source "imagenet"`},
		{"shapes:validation", `unknown split "validation"`},
		{"shapes:train?sise=64", `unknown key "sise"`},
		{"shapes:train?size=big", `size="big" is not an integer`},
		{"shapes:train?size=8", `size="8" is not an integer in [16, 1024]`},
		{"shapes:train?p=1.5", `p="1.5" is not a number in [0, 1]`},
		{"shapes:train?p=nan", `p="nan"`},
		{"shapes:cue-conflict?p=0.5", "p= applies to the train and test splits only"},
		{"shapes:train?seed=-1", `seed="-1"`},
		{"shapes:train?n=0", `n="0"`},
		{"shapes:train?size=32&size=64", `key "size" given 2 times`},
		{"shapes:train?%zz", "bad query"},
		{"mnist:valid", `unknown split "valid"`},
		{"cifar100:test?label=medium", `label="medium" is not one of fine, coarse`},
		{"folder:", "give the folder after the colon"},
		{"folder:/tmp?fit=squash", `fit="squash"`},
		{"folder:/tmp?skip_bad=maybe", `skip_bad="maybe" is not a boolean`},
	} {
		_, err := Open(tc.spec)
		if err == nil {
			t.Errorf("%q: no error", tc.spec)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q should say %q", tc.spec, err, tc.want)
		}
	}
}

func TestSpecOpensShapesWithKeys(t *testing.T) {
	ds, err := Open("shapes:train?size=64&p=0.9&n=100&seed=3")
	if err != nil {
		t.Fatal(err)
	}
	s := ds.(*Shapes)
	if s.Len() != 100 || s.opt.Size != 64 || s.opt.P != 0.9 || s.opt.Seed != 3 || s.opt.Split != SplitTrain {
		t.Fatalf("options %+v", s.opt)
	}
	// The name is a spec that opens the same set.
	again, err := Open(ds.Info().Name)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := get(t, ds, 7), get(t, again, 7); imageHash(a) != imageHash(b) {
		t.Fatalf("%s does not reopen the same set", ds.Info().Name)
	}
	if d, err := Open("shapes"); err != nil || d.Len() != 50000 {
		t.Fatalf("bare shapes: %v", err)
	}
	if d, err := Open("shapes:train?p=0"); err != nil || d.(*Shapes).opt.P != 0 {
		t.Fatalf("p=0: %v", err)
	}
}

func TestSpecNSubset(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", true)
	ds, err := Open("mnist:train?n=2&root=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 2 {
		t.Fatalf("n=2 gave %d", ds.Len())
	}
	var ex Example
	if err := ds.Get(2, &ex); err == nil {
		t.Fatal("example 2 of a 2-example subset")
	}
	if _, err := Open("mnist:train?n=4&root=" + dir); err == nil || !strings.Contains(err.Error(), "n=4 is more than the 3 examples") {
		t.Fatalf("n beyond the set: %v", err)
	}
}

func TestEverySourceIsDocumented(t *testing.T) {
	for _, s := range Sources() {
		if s.Help == "" || s.Arg == "" || len(s.Examples) == 0 || s.open == nil {
			t.Errorf("source %s lacks help, arg, examples or an opener", s.Name)
		}
		hasN := false
		for _, k := range s.Keys {
			if k.Help == "" {
				t.Errorf("%s key %s has no help", s.Name, k.Key)
			}
			hasN = hasN || k.Key == "n"
		}
		if !hasN {
			t.Errorf("%s does not document n=", s.Name)
		}
	}
}

func TestFirst(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", true)
	ds, err := Open("mnist:train?root=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -1, 3, 4} {
		if got := First(ds, n); got != ds {
			t.Errorf("First(ds, %d) of a 3-example set is a view, want the set itself", n)
		}
	}
	two := First(ds, 2)
	var ex, want Example
	if two.Len() != 2 {
		t.Fatalf("First(ds, 2) has %d examples", two.Len())
	}
	if err := two.Get(1, &ex); err != nil {
		t.Fatal(err)
	}
	if err := ds.Get(1, &want); err != nil || ex.Label != want.Label {
		t.Fatalf("example 1 of the view has label %d, of the set %d (%v)", ex.Label, want.Label, err)
	}
	if err := two.Get(2, &ex); err == nil || !strings.Contains(err.Error(), "out of range [0, 2)") {
		t.Fatalf("example 2 of the first 2: %v", err)
	}
}
