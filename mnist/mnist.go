package mnist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	// Side is the height and width of a digit image.
	Side = 28
	// Pixels is the number of values of one image.
	Pixels = Side * Side
	// Classes is the number of digit classes, 0…9.
	Classes = 10
	// TrainPerClass is how many digits of each class, the first in file
	// order, are training data; the rest of the class is test data.
	TrainPerClass = 800
)

// Set is a list of labelled digits.
type Set struct {
	Images []float32 // [Len()][Pixels], values in [0, 1]
	Labels []int     // class of each image, 0…9
	Index  []int     // position of each image in its class file D.json
}

// Len is the number of digits in s.
func (s *Set) Len() int { return len(s.Labels) }

// Image returns digit i (a view into s.Images).
func (s *Set) Image(i int) []float32 { return s.Images[i*Pixels : (i+1)*Pixels] }

// Source names digit i by its file and position, e.g. "7.json[812]".
func (s *Set) Source(i int) string { return fmt.Sprintf("%d.json[%d]", s.Labels[i], s.Index[i]) }

// ErrNoData reports that the folder lacks the digit files.
var ErrNoData = errors.New("mnist: digits not found (run scripts/fetch-mnist.sh)")

// Load reads 0.json … 9.json from dir and splits them into the training
// and test sets, each in class order and, within a class, in file order. A
// missing file is an error that wraps ErrNoData.
func Load(dir string) (train, test Set, err error) {
	var digits [Classes][]float32
	for d := range Classes {
		name := filepath.Join(dir, fmt.Sprintf("%d.json", d))
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			return Set{}, Set{}, fmt.Errorf("%w: %v", ErrNoData, err)
		}
		if err != nil {
			return Set{}, Set{}, err
		}
		if digits[d], err = Parse(data); err != nil {
			return Set{}, Set{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	train, test, err = Split(digits)
	return train, test, err
}

// Parse decodes one class file, {"data": [784·k values in [0, 1]]}, into
// the k images it holds.
func Parse(data []byte) ([]float32, error) {
	var f struct {
		Data []float32 `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if len(f.Data) == 0 || len(f.Data)%Pixels != 0 {
		return nil, fmt.Errorf("mnist: %d values are not a whole number of %d-pixel images", len(f.Data), Pixels)
	}
	for i, v := range f.Data {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("mnist: value %d of image %d is %v, outside [0, 1]", i%Pixels, i/Pixels, v)
		}
	}
	return f.Data, nil
}

// Split divides the images of each class (digits[d] holds those of class d)
// into the first TrainPerClass, for training, and the rest, for testing.
func Split(digits [Classes][]float32) (train, test Set, err error) {
	for d, imgs := range digits {
		n := len(imgs) / Pixels
		if n <= TrainPerClass {
			return Set{}, Set{}, fmt.Errorf("mnist: class %d has %d digits, want more than %d", d, n, TrainPerClass)
		}
		for i := range n {
			s := &train
			if i >= TrainPerClass {
				s = &test
			}
			s.Images = append(s.Images, imgs[i*Pixels:(i+1)*Pixels]...)
			s.Labels = append(s.Labels, d)
			s.Index = append(s.Index, i)
		}
	}
	return train, test, nil
}
