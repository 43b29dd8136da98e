package mnist

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// digitsJSON returns a class file of n images whose pixel 0 of image i is i/n.
func digitsJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data": [`)
	for i := range n {
		for p := range Pixels {
			if i > 0 || p > 0 {
				b.WriteByte(',')
			}
			v := 0.0
			if p == 0 {
				v = float64(i) / float64(n)
			}
			fmt.Fprint(&b, v)
		}
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func TestSplit(t *testing.T) {
	// Class d has TrainPerClass+1+d digits; pixel 0 of digit i is i/n.
	var digits [Classes][]float32
	for d := range digits {
		n := TrainPerClass + 1 + d
		digits[d] = make([]float32, n*Pixels)
		for i := range n {
			digits[d][i*Pixels] = float32(i) / float32(n)
		}
	}
	train, test, err := Split(digits)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != Classes*TrainPerClass || len(train.Images) != train.Len()*Pixels {
		t.Fatalf("train has %d digits, %d values", train.Len(), len(train.Images))
	}
	if want := Classes + 45; test.Len() != want { // 1 + d extra digits per class
		t.Fatalf("test has %d digits, want %d", test.Len(), want)
	}
	// The first test digit of class 3 is its 801st of 804.
	i := 1 + 2 + 3
	if test.Labels[i] != 3 || test.Index[i] != TrainPerClass || test.Image(i)[0] != float32(800)/804 {
		t.Errorf("test digit %d: class %d index %d pixel %v", i, test.Labels[i], test.Index[i], test.Image(i)[0])
	}
	if s := test.Source(i); s != "3.json[800]" {
		t.Errorf("Source = %q", s)
	}
	if train.Labels[TrainPerClass] != 1 || train.Index[TrainPerClass] != 0 {
		t.Errorf("train digit %d: class %d index %d", TrainPerClass, train.Labels[TrainPerClass], train.Index[TrainPerClass])
	}
}

func TestParse(t *testing.T) {
	imgs, err := Parse(digitsJSON(4))
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 4*Pixels || imgs[2*Pixels] != 0.5 || imgs[2*Pixels+1] != 0 {
		t.Fatalf("Parse: %d values, image 2 starts %v", len(imgs), imgs[2*Pixels:2*Pixels+2])
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"data": [0, 1]}`, "whole number"},
		{`{"data": []}`, "whole number"},
		{`{"data": `, "unexpected end"},
		{strings.Replace(string(digitsJSON(1)), "[0,", "[2,", 1), "outside [0, 1]"},
	} {
		_, err := Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%.20q…) = %v, want an error with %q", c.in, err, c.want)
		}
	}
	var digits [Classes][]float32
	if _, _, err := Split(digits); err == nil || !strings.Contains(err.Error(), "class 0 has 0 digits") {
		t.Errorf("Split of no digits: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, _, err := Load(t.TempDir())
	if !errors.Is(err, ErrNoData) {
		t.Fatalf("Load of an empty folder: %v, want ErrNoData", err)
	}
}

// TestLoad reads the real digits when scripts/fetch-mnist.sh has been run.
func TestLoad(t *testing.T) {
	train, test, err := Load("../data/mnist")
	if errors.Is(err, ErrNoData) {
		t.Skip("no MNIST data in data/mnist (run scripts/fetch-mnist.sh)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 8000 || test.Len() != 2000 {
		t.Fatalf("split is %d/%d, want 8000/2000", train.Len(), test.Len())
	}
}
