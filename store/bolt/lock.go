//go:build linux

package bolt

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process holding the flock on path, as well as Linux
// tells (/proc/locks), for the "database in use" message.
func lockHolder(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "another process"
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return "another process"
	}
	defer f.Close()
	// Lines look like: "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF".
	// A blocked waiter line has "->" after the number.
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[1] == "->" {
			continue
		}
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(fields[5], ":")
		if len(dev) != 3 {
			continue
		}
		ino, err := strconv.ParseUint(dev[2], 10, 64)
		if err != nil || ino != st.Ino {
			continue
		}
		major, err1 := strconv.ParseUint(dev[0], 16, 32)
		minor, err2 := strconv.ParseUint(dev[1], 16, 32)
		if err1 != nil || err2 != nil || major != uint64(unixMajor(st.Dev)) || minor != uint64(unixMinor(st.Dev)) {
			continue
		}
		pid := fields[4]
		cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		args := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		if len(args) > 4 {
			args = args[:4]
		}
		if len(args) == 0 {
			return fmt.Sprintf("process %s", pid)
		}
		return fmt.Sprintf("process %s (%s)", pid, strings.Join(args, " "))
	}
	return "another process"
}

// unixMajor and unixMinor decode a Linux dev_t.
func unixMajor(dev uint64) uint32 {
	return uint32((dev>>8)&0xfff) | uint32((dev>>32)&^0xfff)
}

func unixMinor(dev uint64) uint32 {
	return uint32(dev&0xff) | uint32((dev>>12)&^0xff)
}
