package kernels

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestSetISA checks that every supported instruction set can be selected,
// that the GEMM then runs a micro-kernel of that set and still gives the
// reference product, and that an unknown or unavailable set is refused.
func TestSetISA(t *testing.T) {
	saved := ISA()
	defer func() {
		if err := SetISA(saved); err != nil {
			t.Fatal(err)
		}
	}()
	supported := SupportedISAs()
	if supported[len(supported)-1] != ISAGeneric {
		t.Fatalf("SupportedISAs() = %v, want %q last", supported, ISAGeneric)
	}
	g := newGemmCase(rand.New(rand.NewPCG(3, 4)), false, true, 37, 29, 41, 1, -0.5, 3)
	for _, name := range supported {
		if err := SetISA(name); err != nil {
			t.Fatalf("SetISA(%q): %v", name, err)
		}
		if ISA() != name {
			t.Fatalf("ISA() = %q after SetISA(%q)", ISA(), name)
		}
		if name == ISAGeneric && gemmKernel != &goKernel {
			t.Errorf("generic: GEMM runs %s, want %s", gemmKernel.name, goKernel.name)
		}
		if name != ISAGeneric && gemmKernel == &goKernel {
			t.Errorf("%s: GEMM runs the Go kernel", name)
		}
		g.check(t, name+"/"+gemmKernel.name, func(c []float32) { g.run(c, Sgemm) })
		if len(gemmKernels) == 0 || gemmKernels[0] != gemmKernel {
			t.Errorf("%s: the tests' kernel list does not start with the one in use", name)
		}
	}
	for _, bad := range []string{"sse9", "AVX2 ", ""} {
		if err := SetISA(bad); err == nil {
			t.Errorf("SetISA(%q) accepted", bad)
		}
	}
	for _, name := range []string{ISAAVX512, ISAAVX2, ISANEON} {
		if slices.Contains(supported, name) {
			continue
		}
		err := SetISA(name)
		if err == nil || !strings.Contains(err.Error(), "not available") {
			t.Errorf("SetISA(%q) on a CPU without it: %v, want a 'not available' error", name, err)
		}
	}
}

// TestISAEnv runs this test binary again with ROBUSTLAB_ISA set, and checks
// there that the variable took effect at start-up (or, for a set the CPU
// lacks or an unknown name, that the widest set runs and EnvISAError says
// why).
func TestISAEnv(t *testing.T) {
	if want, ok := os.LookupEnv(ISAEnv); ok {
		err := EnvISAError()
		if checkISA(want) != nil {
			if err == nil || !strings.Contains(err.Error(), want) || ISA() != SupportedISAs()[0] {
				t.Fatalf("%s=%q: ISA() = %q, EnvISAError() = %v; want the widest set and an error naming it", ISAEnv, want, ISA(), err)
			}
			return
		}
		if err != nil || ISA() != want {
			t.Fatalf("%s=%q: ISA() = %q, EnvISAError() = %v", ISAEnv, want, ISA(), err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	values := append(SupportedISAs(), "bogus")
	for _, name := range []string{ISAAVX512, ISAAVX2, ISANEON} {
		if !slices.Contains(values, name) {
			values = append(values, name)
		}
	}
	for _, v := range values {
		cmd := exec.Command(os.Args[0], "-test.run=^TestISAEnv$", "-test.count=1")
		cmd.Env = append(os.Environ(), ISAEnv+"="+v)
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.ENOEXEC) {
			// A binary of another architecture run by a user-mode
			// emulator (go test -exec qemu-aarch64-static) cannot start
			// itself again; .ci/run then sets ROBUSTLAB_ISA for this
			// test itself.
			t.Skipf("cannot start the test binary again (%v): an emulated run", err)
		}
		if err != nil {
			t.Errorf("%s=%s: %v\n%s", ISAEnv, v, err, out)
		}
	}
}
