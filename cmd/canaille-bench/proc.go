package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procCPU returns the user plus system CPU time that process pid has used
// so far, from fields 14 (utime) and 15 (stime) of /proc/PID/stat, which
// count clock ticks. Its threads are included, its children are not.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	return parseStat(data, clockTick())
}

// parseStat extracts utime+stime from the text of /proc/PID/stat. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')'.
func parseStat(data []byte, tick time.Duration) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	fields := strings.Fields(string(data[end+1:]))
	// fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc stat line: %d fields", len(fields)+2)
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed utime/stime in /proc stat line")
	}
	return time.Duration(utime+stime) * tick, nil
}

// procMemory returns VmRSS (resident memory now) and VmHWM (its peak) of
// process pid in bytes, from /proc/PID/status.
func procMemory(pid int) (rss, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("process %d: %w", pid, err)
	}
	return parseStatus(data)
}

// parseStatus extracts VmRSS and VmHWM ("VmRSS:\t  1234 kB") from the text
// of /proc/PID/status.
func parseStatus(data []byte) (rss, peak int64, err error) {
	found := 0
	for line := range strings.Lines(string(data)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("malformed %s line %q", name, strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed %s line %q", name, strings.TrimSpace(line))
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no VmRSS/VmHWM lines (a kernel thread or a zombie?)")
	}
	return rss, peak, nil
}

// clockTick is the length of one clock tick of /proc/PID/stat
// (sysconf(_SC_CLK_TCK)): read from the AT_CLKTCK entry that the kernel
// puts in this process's auxiliary vector, else from `getconf CLK_TCK`,
// else 100 Hz, the value on every Linux architecture Go supports.
var clockTick = sync.OnceValue(func() time.Duration {
	hz := auxvClockTick()
	if hz == 0 || hz > 100_000 {
		if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
			hz, _ = strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		}
	}
	if hz == 0 {
		hz = 100
	}
	return time.Second / time.Duration(hz)
})

// atClkTck is the auxiliary vector type of the clock tick rate.
const atClkTck = 17

// auxvClockTick reads AT_CLKTCK from /proc/self/auxv, a sequence of
// (type, value) pairs of native machine words; 0 when not found.
func auxvClockTick() uint64 {
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 0
	}
	return parseAuxv(data, atClkTck)
}

// parseAuxv returns the value of type typ in an auxiliary vector of 64-bit
// native-endian words; 0 when absent or on a 32-bit platform.
func parseAuxv(data []byte, typ uint64) uint64 {
	if strconv.IntSize != 64 {
		return 0
	}
	for len(data) >= 16 {
		t, v := binary.NativeEndian.Uint64(data), binary.NativeEndian.Uint64(data[8:])
		if t == 0 { // AT_NULL ends the vector
			break
		}
		if t == typ {
			return v
		}
		data = data[16:]
	}
	return 0
}
