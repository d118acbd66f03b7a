// Command bench runs the `make bench` measurements and prints key=value lines on stdout (progress
// goes to stderr). Each benchmark measures its baseline in the same run, on this machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/boothgiveaway/giveaway/internal/bench"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

func main() {
	if ssecrowd.IsChild() { // the pages benchmark's clients, in a process of their own
		ssecrowd.Child()
		return
	}
	only := flag.String("only", "", "comma-separated benchmark names to run (default: all)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (service and load) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	var drops []func()
	defer func() {
		for _, d := range drops {
			d()
		}
	}()
	env := &bench.Env{
		NewDatabase: func(ctx context.Context) (string, error) {
			url, drop, err := pgtest.Create(ctx)
			if err == nil {
				drops = append(drops, drop)
			}
			return url, err
		},
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	}
	failed := false
	for _, b := range bench.All() {
		if *only != "" && !strings.Contains(","+*only+",", ","+b.Name+",") {
			continue
		}
		env.Logf("bench %s ...", b.Name)
		res, err := b.Run(ctx, env)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.Name, err)
			failed = true
			continue
		}
		for _, r := range res {
			fmt.Printf("%s=%s\n", r.Key, r.Value)
		}
	}
	if failed {
		os.Exit(1)
	}
}
