package data_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/robustlab/robustlab/data"
)

func ExampleOpen() {
	ds, err := data.Open("shapes:cue-conflict?n=180")
	if err != nil {
		fmt.Println(err)
		return
	}
	var ex data.Example
	ds.Get(95, &ex) // pair 95 mod 90 = 5: shape 0 with the home texture of class 6
	info := ds.Info()
	fmt.Println(ds.Len(), info.Channels, info.Height, info.Width, info.FactorNames)
	fmt.Println(info.Classes[ex.Label], data.TextureNames[ex.Factors[data.FactorTexture]])
	// Output:
	// 180 3 32 32 [shape texture colour]
	// circle rings
}

func ExampleNewLoader() {
	ds, _ := data.Open("shapes:train?n=300")
	l, err := data.NewLoader(ds, data.LoaderOptions{
		BatchSize: 128, Shuffle: true, Seed: 1,
		Transforms: []data.Transform{
			data.RandomCrop{Height: 32, Width: 32, Padding: 4},
			data.HorizontalFlip{P: 0.5},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := l.Epoch(context.Background(), 0)
	defer e.Close()
	for {
		b, err := e.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Images.Shape(), b.Masks.Shape(), len(b.Labels))
		b.Release()
	}
	// Output:
	// [128 3 32 32] [128 1 32 32] 128
	// [128 3 32 32] [128 1 32 32] 128
	// [44 3 32 32] [44 1 32 32] 44
}
