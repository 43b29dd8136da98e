// Command lrp explains neural-network decisions with Layer-wise Relevance
// Propagation from the command line: it checks the engine against reference
// attributions, converts and inspects model files, explains images and
// serves the web app.
//
// Usage:
//
//	lrp <command> [flags] [args]
//
// Run "lrp help" for the list of commands and "lrp <command> -h" for each.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; each file of this package registers its own.
func register(name, summary string, run func(args []string) error) {
	commands[name] = command{summary, run}
}

func init() {
	register("parity", "compare the engine with reference attributions in a fixtures folder", runParity)
}

// errExit reports a failure whose message was already printed.
var errExit = errors.New("exit 1")

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage(os.Stdout)
		return
	}
	c, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "lrp: unknown command %q\n\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	if err := c.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		if err != errExit {
			fmt.Fprintln(os.Stderr, printable(err.Error()))
		}
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "lrp explains neural-network decisions with Layer-wise Relevance Propagation.\n\nUsage: lrp <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"lrp <command> -h\" for a command's flags.")
}

// flags returns a FlagSet for a subcommand whose -h prints usage and the
// flags.
func flags(name, args, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: lrp %s %s\n\n%s\n\nFlags:\n", name, args, doc)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args allowing flags after positional arguments
// ("lrp convert in.onnx -o out.safetensors") and returns the positionals.
// When ok rejects them (or the flags it reads), it prints the command's
// usage and returns errExit.
func parse(fs *flag.FlagSet, args []string, ok func(pos []string) bool) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if !ok(pos) {
		fs.Usage()
		return nil, errExit
	}
	return pos, nil
}
