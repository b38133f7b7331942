package testslapd

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill slapd when the test process dies
// without running its cleanups (a panic in another goroutine, a timeout).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
