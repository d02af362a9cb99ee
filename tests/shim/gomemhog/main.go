// gomemhog: a Go program whose live heap steps up to 40 MiB (GOMEMHOG_LIVE_MIB) while it
// churns garbage, for the real-cgroup test of gomemlimit-shim. With the default GOGC=100
// and no GOMEMLIMIT the heap grows to about twice the live heap, which a 64 MiB memory
// cgroup does not allow (OOM kill, exit 137); with GOMEMLIMIT at 90% of the limit the
// collector keeps the process under it.
//
// It prints the memory limit the Go runtime actually uses (debug.SetMemoryLimit(-1)),
// at start and at the end, as GOMEMLIMIT_BYTES=<n>, and "survived" when done.
// Build: GO111MODULE=off go build -o gomemhog main.go (no dependencies).
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"
)

var sink []byte

// touch writes every page so the allocation is charged to the cgroup.
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	b[len(b)-1] = 1
}

// churn allocates n blocks of 256 KiB of garbage, pausing 1 ms after every MiB as a
// service waiting on I/O would. Without pauses the collector would need more than half
// the CPU to hold a tight GOMEMLIMIT, and Go's GC CPU limiter (Go 1.19+) then lets the
// heap overshoot the soft limit on purpose — a real effect, but not the one under test.
func churn(n int) {
	for i := 0; i < n; i++ {
		g := make([]byte, 256<<10)
		touch(g)
		sink = g
		if i%4 == 3 {
			time.Sleep(time.Millisecond)
		}
	}
}

func main() {
	liveMiB := 40
	if s := os.Getenv("GOMEMHOG_LIVE_MIB"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			liveMiB = n
		}
	}
	fmt.Printf("GOMEMLIMIT=%q GOGC=%q GOMEMLIMIT_BYTES=%d\n", os.Getenv("GOMEMLIMIT"),
		os.Getenv("GOGC"), debug.SetMemoryLimit(-1))
	live := make([][]byte, 0, liveMiB)
	for step := 0; step < liveMiB; step++ {
		b := make([]byte, 1<<20)
		touch(b)
		live = append(live, b)
		churn(32) // 8 MiB of garbage per live MiB
	}
	churn(4000) // 1000 MiB more at the full live heap
	fmt.Printf("survived live=%dMiB\n", len(live))
	fmt.Printf("GOMEMLIMIT_BYTES=%d\n", debug.SetMemoryLimit(-1))
}
