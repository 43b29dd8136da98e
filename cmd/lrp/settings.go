package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/app"
)

// settingsFlags are the flags that set a model's normalization and class
// names (app.Settings): convert writes them into the file, explain uses
// them for its session.
type settingsFlags struct {
	mean, std, labels *string
}

func addSettingsFlags(fs *flag.FlagSet, labelsDoc string) settingsFlags {
	return settingsFlags{
		mean:   fs.String("mean", "", "input normalization `mean` per channel, x = (pixel − mean)/std: comma-separated numbers, imagenet (0.485,0.456,0.406) or none"),
		std:    fs.String("std", "", "input normalization `std` per channel: comma-separated numbers, or imagenet (0.229,0.224,0.225); with -mean"),
		labels: fs.String("labels", "", labelsDoc),
	}
}

// settings returns the app.Settings the flags ask for; files are read
// here, the values checked against the model by app.Apply or
// Session.Configure.
func (f settingsFlags) settings() (*app.Settings, error) {
	st := &app.Settings{}
	mean, std := *f.mean, *f.std
	switch {
	case mean == "" && std == "":
	case mean == "imagenet" && (std == "" || std == "imagenet"):
		st.Normalization = app.FromImageNet
	case mean == "none" && std == "":
		st.Normalization = app.FromNone
	default:
		var err error
		if st.Mean, err = floatList("-mean", mean); err != nil {
			return nil, err
		}
		if st.Std, err = floatList("-std", std); err != nil {
			return nil, err
		}
		st.Normalization = app.FromUser
	}
	switch l := *f.labels; l {
	case "":
	case app.FromImageNet, app.FromIndices:
		st.Labels = l
	default:
		data, err := readLimited(l, app.MaxLabelsFile)
		if err != nil {
			return nil, err
		}
		st.Labels, st.LabelsFile = app.FromUser, data
	}
	return st, nil
}

// floatList parses comma-separated numbers.
func floatList(flag, s string) ([]float32, error) {
	if s == "" {
		return nil, fmt.Errorf("lrp: %s is missing: -mean and -std go together (or -mean imagenet, -mean none)", flag)
	}
	parts := strings.Split(s, ",")
	if len(parts) > 3<<10 {
		return nil, fmt.Errorf("lrp: %s has %d values", flag, len(parts))
	}
	out := make([]float32, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return nil, fmt.Errorf("lrp: %s wants comma-separated numbers (one per channel), imagenet or none, got %q", flag, s)
		}
		out[i] = float32(v)
	}
	return out, nil
}

// readLimited reads a file of at most limit bytes, refusing a larger one
// before reading it.
func readLimited(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("lrp: %s has %d bytes, more than the %d a names file may have", path, fi.Size(), limit)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return data, nil
}
