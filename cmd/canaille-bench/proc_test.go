package main

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50.
	line := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 12345678 900 18446744073709551615\n"
	got, err := parseStat([]byte(line), 10*time.Millisecond)
	if err != nil || got != 3*time.Second {
		t.Fatalf("got %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 ten 12"} {
		if _, err := parseStat([]byte(bad), 10*time.Millisecond); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestProcCPUSelf burns CPU and compares /proc/self/stat with getrusage.
// It burns a fixed amount of CPU time as getrusage counts it, not of wall
// time, so that a loaded machine cannot make it fail.
func TestProcCPUSelf(t *testing.T) {
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ruBefore := rusage()
	sum := sha256.Sum256(nil)
	for rusage()-ruBefore < 300*time.Millisecond {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	after, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ruAfter := rusage()
	// Ticks round down; rusage is finer. They agree within a few ticks
	// (other goroutines of the test binary may add a little).
	proc, ru := after-before, ruAfter-ruBefore
	if diff := ru - proc; diff < -50*time.Millisecond || diff > 100*time.Millisecond {
		t.Errorf("/proc counted %v of CPU, getrusage %v", proc, ru)
	}
}

func TestProcMemorySelf(t *testing.T) {
	rss, peak, err := procMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 || peak < rss {
		t.Errorf("VmRSS %d, VmHWM %d", rss, peak)
	}
	if _, _, err := parseStatus([]byte("Name:\tx\nVmRSS:\t12 MB\nVmHWM:\t1 kB\n")); err == nil {
		t.Error("bad unit accepted")
	}
	if _, _, err := procMemory(1 << 30); err == nil {
		t.Error("missing process accepted")
	}
}

func TestClockTick(t *testing.T) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		t.Skip("no getconf")
	}
	hz, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if got := clockTick(); got != time.Second/time.Duration(hz) {
		t.Errorf("clockTick %v, getconf says %d Hz", got, hz)
	}
	if auxvClockTick() != uint64(hz) {
		t.Errorf("auxv AT_CLKTCK %d, getconf %d", auxvClockTick(), hz)
	}
}

func TestParseAuxv(t *testing.T) {
	var b []byte
	for _, w := range []uint64{6, 4096, atClkTck, 250, 0, 0, atClkTck, 1} {
		b = binary.NativeEndian.AppendUint64(b, w)
	}
	if got := parseAuxv(b, atClkTck); got != 250 {
		t.Errorf("got %d", got)
	}
	if got := parseAuxv(b[:16], atClkTck); got != 0 {
		t.Errorf("absent: got %d", got)
	}
}
