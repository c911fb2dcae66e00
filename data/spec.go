package data

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// A spec string names a data set: SOURCE[:ARG][?KEY=VALUE&KEY=VALUE...], for
// example "shapes:train?size=64&p=0.9", "mnist:test", "cifar10:train?root=DIR"
// or "folder:/data/imgs?size=224". ARG is a split for the built-in sets and a
// directory for folder sources. Every source accepts n= (use the first n
// examples, or for shapes generate n); unknown keys and bad values are errors
// that name them.

// KeyDoc documents one spec key of a source.
type KeyDoc struct {
	// Key is the name used in the query, e.g. "size".
	Key string
	// Default is the value used when the key is absent ("" if none).
	Default string
	// Help says what the key does and which values it takes.
	Help string
}

// SourceDoc documents one source of spec strings, for `robustlab data --help`.
type SourceDoc struct {
	// Name is the SOURCE part of the spec ("shapes", "mnist", ...).
	Name string
	// ArgName names what goes after the colon ("SPLIT" or "DIR").
	ArgName string
	// Arg says what ArgName may be.
	Arg string
	// Help is a one-paragraph description.
	Help string
	// Keys are the accepted KEY=VALUE options.
	Keys []KeyDoc
	// Examples are complete spec strings.
	Examples []string
	open     func(s *spec) (Dataset, error)
}

var nKey = KeyDoc{Key: "n", Help: "use only the first n examples"}

// Sources lists every source Open accepts, in the order of the help text.
func Sources() []SourceDoc {
	return []SourceDoc{shapesSource, mnistSource("mnist"), mnistSource("fashion-mnist"),
		cifarSource(10), cifarSource(100), folderSource, cueConflictSource}
}

// Open opens the data set named by a spec string (see SourceDoc and
// Sources). Errors name the spec, the key or value at fault, and for files
// on disk the file and what is wrong with it.
func Open(specString string) (Dataset, error) {
	s, err := parseSpec(specString)
	if err != nil {
		return nil, err
	}
	for _, src := range Sources() {
		if src.Name != s.source {
			continue
		}
		for k := range s.params {
			if !src.hasKey(k) {
				return nil, fmt.Errorf("data spec %q: unknown key %q for source %s (known: %s)", specString, k, src.Name, src.keyList())
			}
		}
		ds, err := src.open(s)
		if err != nil {
			return nil, err
		}
		n, err := s.intKey("n", 0, 1, 1<<31-1)
		if err != nil {
			return nil, err
		}
		if n > 0 && src.Name != "shapes" {
			if n > ds.Len() {
				return nil, fmt.Errorf("data spec %q: n=%d is more than the %d examples the set has", specString, n, ds.Len())
			}
			ds = First(ds, n)
		}
		return ds, nil
	}
	names := make([]string, 0, 8)
	for _, src := range Sources() {
		names = append(names, src.Name)
	}
	return nil, fmt.Errorf("data spec %q: unknown source %q (known: %s)", specString, s.source, strings.Join(names, ", "))
}

func (d SourceDoc) hasKey(k string) bool {
	for _, kd := range d.Keys {
		if kd.Key == k {
			return true
		}
	}
	return false
}

func (d SourceDoc) keyList() string {
	ks := make([]string, len(d.Keys))
	for i, kd := range d.Keys {
		ks[i] = kd.Key
	}
	return strings.Join(ks, ", ")
}

// spec is a parsed spec string.
type spec struct {
	raw    string
	source string
	arg    string
	params map[string]string
}

func parseSpec(raw string) (*spec, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("data spec is empty (want e.g. shapes:train or mnist:test)")
	}
	body, query, _ := strings.Cut(raw, "?")
	source, arg, _ := strings.Cut(body, ":")
	s := &spec{raw: raw, source: strings.ToLower(source), arg: arg, params: map[string]string{}}
	if query == "" {
		return s, nil
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("data spec %q: bad query %q: %v", raw, query, err)
	}
	keys := slices.Sorted(maps.Keys(vals))
	for _, k := range keys {
		v := vals[k]
		if len(v) != 1 {
			return nil, fmt.Errorf("data spec %q: key %q given %d times", raw, k, len(v))
		}
		s.params[k] = v[0]
	}
	return s, nil
}

func (s *spec) intKey(key string, def, lo, hi int) (int, error) {
	v, ok := s.params[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("data spec %q: %s=%q is not an integer in [%d, %d]", s.raw, key, v, lo, hi)
	}
	return n, nil
}

func (s *spec) uintKey(key string, def uint64) (uint64, error) {
	v, ok := s.params[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("data spec %q: %s=%q is not a non-negative integer", s.raw, key, v)
	}
	return n, nil
}

func (s *spec) floatKey(key string, def, lo, hi float64) (float64, error) {
	v, ok := s.params[key]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		return 0, fmt.Errorf("data spec %q: %s=%q is not a number in [%g, %g]", s.raw, key, v, lo, hi)
	}
	return f, nil
}

func (s *spec) boolKey(key string) (bool, error) {
	v, ok := s.params[key]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("data spec %q: %s=%q is not a boolean (1 or 0)", s.raw, key, v)
}

func (s *spec) choiceKey(key, def string, choices ...string) (string, error) {
	v, ok := s.params[key]
	if !ok {
		return def, nil
	}
	for _, c := range choices {
		if v == c {
			return v, nil
		}
	}
	return "", fmt.Errorf("data spec %q: %s=%q is not one of %s", s.raw, key, v, strings.Join(choices, ", "))
}

// split checks the ARG part against the allowed splits; an empty ARG is def.
func (s *spec) split(def string, splits ...string) (string, error) {
	if s.arg == "" {
		return def, nil
	}
	for _, sp := range splits {
		if s.arg == sp {
			return sp, nil
		}
	}
	return "", fmt.Errorf("data spec %q: unknown split %q for %s (known: %s)", s.raw, s.arg, s.source, strings.Join(splits, ", "))
}

// First returns a view of ds's first n examples (ds itself if n <= 0 or
// n >= ds.Len()): the spec key n=, and what evaluations on part of a test
// set use.
func First(ds Dataset, n int) Dataset {
	if n <= 0 || n >= ds.Len() {
		return ds
	}
	return &subset{Dataset: ds, n: n}
}

// subset is the first n examples of a set.
type subset struct {
	Dataset
	n int
}

// Len implements Dataset.
func (s *subset) Len() int { return s.n }

// Get implements Dataset.
func (s *subset) Get(i int, ex *Example) error {
	if i < 0 || i >= s.n {
		return fmt.Errorf("%s: example %d out of range [0, %d)", s.Info().Name, i, s.n)
	}
	return s.Dataset.Get(i, ex)
}
