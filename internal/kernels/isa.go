package kernels

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Instruction sets the kernels can run on. ISAAVX512 and ISAAVX2 (with FMA)
// are amd64's, ISANEON arm64's; ISAGeneric is the pure-Go path every
// architecture has.
const (
	ISAAVX512  = "avx512"
	ISAAVX2    = "avx2"
	ISANEON    = "neon"
	ISAGeneric = "generic"
)

// ISAEnv is the environment variable that restricts the kernels to one
// instruction set (one of SupportedISAs), so that a machine
// with a wider one can measure a narrower path; unset, the widest this CPU
// runs is used.
const ISAEnv = "ROBUSTLAB_ISA"

// isa is the instruction set in use; envISAErr records a ROBUSTLAB_ISA the
// CPU cannot honour (the widest path is used instead).
var isa, envISAErr = initISA()

func initISA() (string, error) {
	best := supportedISAs()[0]
	want := strings.TrimSpace(os.Getenv(ISAEnv))
	if want == "" {
		applyISA(best)
		return best, nil
	}
	if err := checkISA(want); err != nil {
		applyISA(best)
		return best, fmt.Errorf("%s=%s: %w", ISAEnv, want, err)
	}
	applyISA(want)
	return want, nil
}

// ISA returns the instruction set the kernels use.
func ISA() string { return isa }

// SupportedISAs lists the instruction sets this CPU and build can run,
// widest first; the last is always ISAGeneric.
func SupportedISAs() []string { return supportedISAs() }

// EnvISAError reports a ROBUSTLAB_ISA value that could not be honoured
// (unknown, or wider than this CPU runs), or nil.
func EnvISAError() error { return envISAErr }

// SetISA restricts the kernels to the instruction set name, one of
// SupportedISAs. It is meant for the start of a program (a benchmark's
// --isa flag), before any kernel has run; it is not safe to call while
// kernels run on other goroutines.
func SetISA(name string) error {
	if err := checkISA(name); err != nil {
		return err
	}
	applyISA(name)
	isa = name
	return nil
}

func checkISA(name string) error {
	ok := supportedISAs()
	if slices.Contains(ok, name) {
		return nil
	}
	switch name {
	case ISAAVX512, ISAAVX2, ISAGeneric, ISANEON:
		return fmt.Errorf("instruction set %q is not available on this CPU (available: %s)", name, strings.Join(ok, ", "))
	}
	return fmt.Errorf("unknown instruction set %q (want one of %s)", name, strings.Join(ok, ", "))
}
