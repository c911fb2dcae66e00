package models

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/nn"
)

// refLayout is one model of testdata/layouts.txt: the state-dict names and
// shapes PyTorch gives it, in PyTorch's order, and its parameter count.
type refLayout struct {
	arch    string
	options Options
	params  int
	names   []string
	shapes  map[string][]int
}

func readLayouts(t *testing.T) (layouts []*refLayout, benchParams int) {
	t.Helper()
	f, err := os.Open("testdata/layouts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cur *refLayout
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "# bench torch_resnet20.py parameters "):
			benchParams, err = strconv.Atoi(fields[len(fields)-1])
		case strings.HasPrefix(line, "#"):
		case fields[0] == "model":
			cur = &refLayout{arch: fields[1], shapes: map[string][]int{}}
			layouts = append(layouts, cur)
			if err = json.Unmarshal([]byte(fields[2]), &cur.options); err == nil {
				cur.params, err = strconv.Atoi(fields[4])
			}
		default:
			var shape []int
			if fields[1] != "-" {
				for _, d := range strings.Split(fields[1], ",") {
					var n int
					n, err = strconv.Atoi(d)
					shape = append(shape, n)
				}
			}
			cur.names = append(cur.names, fields[0])
			cur.shapes[fields[0]] = shape
		}
		if err != nil {
			t.Fatalf("layouts.txt: %q: %v", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return layouts, benchParams
}

func (l *refLayout) String() string {
	o, _ := json.Marshal(l.options)
	return fmt.Sprintf("%s %s", l.arch, o)
}

// TestLayoutsMatchPyTorch checks every tensor name and shape, their order,
// and the parameter count against torchvision (resnet18, resnet50) and the
// reference PyTorch definitions of the other architectures.
func TestLayoutsMatchPyTorch(t *testing.T) {
	layouts, _ := readLayouts(t)
	if len(layouts) < 10 {
		t.Fatalf("layouts.txt has %d models", len(layouts))
	}
	for _, ref := range layouts {
		m, err := New(ref.arch, ref.options)
		if err != nil {
			t.Fatalf("%v: %v", ref, err)
		}
		// Our parameters and buffers, each in registration order, must be
		// PyTorch's state dict order restricted to parameters or buffers.
		var params, buffers []string
		got := map[string][]int{}
		for _, p := range nn.Parameters(m) {
			params = append(params, p.Name)
			got[p.Name] = p.Value.Shape()
		}
		for _, b := range nn.Buffers(m) {
			if strings.HasPrefix(b.Name, "normalize.") {
				continue
			}
			buffers = append(buffers, b.Name)
			got[b.Name] = b.Value.Shape()
		}
		var refParams, refBuffers []string
		for _, n := range ref.names {
			if isBuffer(n) {
				refBuffers = append(refBuffers, n)
			} else {
				refParams = append(refParams, n)
			}
		}
		if !slices.Equal(params, refParams) {
			t.Errorf("%v: parameter names differ from PyTorch's:\n got %v\nwant %v", ref, params, refParams)
		}
		if !slices.Equal(buffers, refBuffers) {
			t.Errorf("%v: buffer names differ from PyTorch's:\n got %v\nwant %v", ref, buffers, refBuffers)
		}
		for _, n := range ref.names {
			if g, ok := got[n]; ok && !slices.Equal(g, ref.shapes[n]) {
				t.Errorf("%v: %s has shape %v, PyTorch %v", ref, n, g, ref.shapes[n])
			}
		}
		if n := nn.NumParams(m); n != ref.params {
			t.Errorf("%v: %d parameters, PyTorch %d", ref, n, ref.params)
		}
	}
}

func isBuffer(name string) bool {
	for _, s := range []string{"running_mean", "running_var", "num_batches_tracked"} {
		if strings.HasSuffix(name, "."+s) {
			return true
		}
	}
	return false
}

// TestParamCounts holds the figures papers and model zoos quote.
func TestParamCounts(t *testing.T) {
	layouts, benchParams := readLayouts(t)
	count := func(arch string, o Options) int {
		m, err := New(arch, o)
		if err != nil {
			t.Fatal(err)
		}
		return nn.NumParams(m)
	}
	for _, c := range []struct {
		arch    string
		o       Options
		million float64 // as quoted, to 2 decimals
	}{
		{"resnet20", Options{}, 0.27},
		{"resnet56", Options{}, 0.85},
		{"resnet18", Options{}, 11.69},
		{"resnet50", Options{}, 25.56},
		{"madry-mnist", Options{}, 3.27},
		{"wong-mnist", Options{}, 0.17},
		{"wrn", Options{Depth: 28, Width: 10}, 36.48},
	} {
		n := count(c.arch, c.o)
		if got := float64(int(float64(n)/1e4+0.5)) / 100; got != c.million {
			t.Errorf("%s: %d parameters (%.2fM), want %.2fM", c.arch, n, got, c.million)
		}
	}
	// Option B is the bench's PyTorch ResNet-20, tensor for tensor.
	if n := count("resnet20", Options{Shortcut: "B"}); n != benchParams {
		t.Errorf("resnet20 option B has %d parameters, torch_resnet20.py %d", n, benchParams)
	}
	if len(layouts) == 0 {
		t.Fatal("no layouts")
	}
}
