package ldapserver_test

// An end-to-end test of what Linux hosts do with the directory: nslcd
// (nss-pam-ldapd) resolves users and groups from the server for glibc's
// NSS, checked with getent and id. Debian's nslcd has no option to name
// its configuration file and serves a fixed socket (/run/nslcd/socket),
// so the test rewrites /etc/nslcd.conf and /etc/nsswitch.conf (restoring
// them afterwards) and needs root.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

const (
	nslcdBin    = "/usr/sbin/nslcd"
	nslcdDir    = "/run/nslcd"
	nslcdSocket = "/run/nslcd/socket"
)

func TestNSLCD(t *testing.T) {
	switch {
	case os.Getenv("CANAILLE_TEST_NSLCD") != "1":
		t.Skip("set CANAILLE_TEST_NSLCD=1 and run as root on a throwaway machine: this test rewrites /etc/nsswitch.conf and /etc/nslcd.conf and starts nslcd")
	case os.Geteuid() != 0:
		t.Skip("CANAILLE_TEST_NSLCD=1 needs root: nslcd's socket is /run/nslcd/socket; run `sudo -E go test -run NSLCD ./ldapserver/`")
	}
	if _, err := os.Stat(nslcdBin); err != nil {
		t.Skipf("%s is missing: apt-get install nslcd libnss-ldapd", nslcdBin)
	}
	if libs, _ := filepath.Glob("/*/*/libnss_ldap.so.2"); len(libs) == 0 {
		if libs, _ = filepath.Glob("/usr/*/*/libnss_ldap.so.2"); len(libs) == 0 {
			t.Skip("glibc's NSS module for nslcd (libnss_ldap.so.2) is missing: apt-get install libnss-ldapd")
		}
	}
	for _, tool := range []string{"getent", "id"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	if conn, err := net.Dial("unix", nslcdSocket); err == nil {
		conn.Close()
		t.Fatalf("an nslcd already answers on %s: stop it (systemctl stop nslcd) before running this test", nslcdSocket)
	}

	f := newFixture(t)
	ctx := context.Background()
	// erin has numbers, home and shell of her own; crowd is a group larger
	// than a page; n000… make the user list span several pages.
	erin, err := f.st.CreateUser(ctx, store.User{UserName: "erin", FormattedName: "Erin Example", FamilyName: "Example",
		UIDNumber: 20000, GIDNumber: 20000, HomeDirectory: "/srv/erin", LoginShell: "/bin/sh"})
	if err != nil {
		t.Fatal(err)
	}
	var crowd []store.Ref
	var crowdNames []string
	for i := range 120 {
		u, err := f.st.CreateUser(ctx, store.User{UserName: fmt.Sprintf("n%03d", i), FamilyName: "Numbered"})
		if err != nil {
			t.Fatal(err)
		}
		crowd = append(crowd, store.Ref{ID: u.ID})
		crowdNames = append(crowdNames, u.UserName)
	}
	if _, err := f.st.CreateGroup(ctx, store.Group{DisplayName: "crowd", Members: crowd}); err != nil {
		t.Fatal(err)
	}
	// Debian has a local group "staff": with "group: files ldap" it wins
	// by name, so the fixture's staff is looked up by gid and engineers by
	// name.
	engineers, err := f.st.CreateGroup(ctx, store.Group{DisplayName: "engineers",
		Members: []store.Ref{{ID: f.users["alice"].ID}, {ID: f.users["bob"].ID}, {ID: erin.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := f.st.GetGroupByName(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}

	startNSLCD(t, f.addr)
	nss := &nssRunner{}

	// getent passwd: the fields as the store holds them, never a hash.
	alice := f.users["alice"]
	wantPasswd := func(u store.User, gecos string) string {
		return fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", u.UserName, u.UIDNumber, u.GIDNumber, gecos, u.HomeDirectory, u.LoginShell)
	}
	for _, tc := range []struct{ key, want string }{
		{"alice", wantPasswd(alice, "Alice Tester")},
		{"erin", wantPasswd(erin, "Erin Example")},
		{"20000", wantPasswd(erin, "Erin Example")}, // by uid number
	} {
		out := nss.want(t, 0, "getent", "passwd", tc.key)
		if got := passwdLine(out); got != tc.want {
			t.Errorf("getent passwd %s:\n got %s\nwant %s", tc.key, got, tc.want)
		}
	}
	nss.want(t, 2, "getent", "passwd", "nobody-in-ldap")

	// getent group: members listed, by name and by gid number.
	for _, tc := range []struct {
		key, name, members string
		gid                uint32
	}{
		{"engineers", "engineers", "alice,bob,erin", engineers.GIDNumber},
		{strconv.Itoa(int(engineers.GIDNumber)), "engineers", "alice,bob,erin", engineers.GIDNumber},
		{strconv.Itoa(int(staff.GIDNumber)), "staff", "alice,bob", staff.GIDNumber},
	} {
		name, gid, members := groupLine(t, nss.want(t, 0, "getent", "group", tc.key))
		if name != tc.name || gid != tc.gid || members != tc.members {
			t.Errorf("getent group %s: %s, gid %d, members %s; want %s, gid %d, members %s", tc.key, name, gid, members, tc.name, tc.gid, tc.members)
		}
	}
	if _, _, members := groupLine(t, nss.want(t, 0, "getent", "group", "crowd")); members != strings.Join(crowdNames, ",") {
		t.Errorf("getent group crowd: %d members, want %d", len(strings.Split(members, ",")), len(crowdNames))
	}

	// id: the supplementary groups come from the member attributes.
	out, _ := nss.run(t, "id", "alice")
	if !strings.Contains(out, fmt.Sprintf("uid=%d(alice)", alice.UIDNumber)) || strings.Contains(out, "(admins)") ||
		!strings.Contains(out, fmt.Sprintf("%d(staff)", staff.GIDNumber)) || !strings.Contains(out, "(engineers)") {
		t.Errorf("id alice: %s", out)
	}
	if got, _ := nss.run(t, "id", "-G", "admin"); !slices.Contains(strings.Fields(got), strconv.Itoa(int(f.users["admin"].GIDNumber))) {
		t.Errorf("id -G admin: %s", got)
	}
	// The primary group: by default a user's gidNumber is its uid number, a
	// user private group (README.md, store.POSIXDefaults), which NSS must
	// find as FreeIPA and Kanidm serve it; else id fails ("cannot find name
	// for group ID") and files show a bare number.
	t.Run("user private group", func(t *testing.T) {
		if out, code := nss.run(t, "getent", "group", strconv.Itoa(int(alice.GIDNumber))); code != 0 {
			t.Errorf("getent group %d (alice's gidNumber): exit status %d, %q; want alice's private group", alice.GIDNumber, code, out)
		} else if name, gid, _ := groupLine(t, out); name != "alice" || gid != alice.GIDNumber {
			t.Errorf("getent group %d (alice's gidNumber): %q; want alice's private group", alice.GIDNumber, out)
		}
		if out, code := nss.run(t, "id", "-gn", "alice"); code != 0 || strings.TrimSpace(out) != "alice" {
			t.Errorf("id -gn alice: exit status %d, %s", code, out)
		}
	})

	// Enumeration (nslcd pages through the users 100 at a time).
	all := map[string]bool{}
	for _, line := range strings.Split(nss.want(t, 0, "getent", "passwd"), "\n") {
		all[strings.SplitN(line, ":", 2)[0]] = true
	}
	for _, name := range append([]string{"admin", "alice", "bob", "erin", "root"}, crowdNames...) {
		if !all[name] {
			t.Errorf("getent passwd does not list %s", name)
		}
	}
	groups := "\n" + nss.want(t, 0, "getent", "group")
	for _, g := range []string{"admins", "crowd", "engineers", "staff"} {
		want, _ := f.st.GetGroupByName(ctx, g)
		if !strings.Contains(groups, fmt.Sprintf("\n%s:*:%d:", g, want.GIDNumber)) {
			t.Errorf("getent group does not list %s (gid %d)", g, want.GIDNumber)
		}
	}

	// Changes reach NSS while nslcd runs (nslcd keeps no cache of users).
	frank, err := f.st.CreateUser(ctx, store.User{UserName: "frank", FamilyName: "Late"})
	if err != nil {
		t.Fatal(err)
	}
	nss.eventually(t, "getent passwd frank", func() bool {
		out, code := nss.run(t, "getent", "passwd", "frank")
		return code == 0 && passwdLine(out) == wantPasswd(frank, "Late")
	})
	if err := f.st.AddMember(ctx, staff.ID, frank.ID); err != nil {
		t.Fatal(err)
	}
	nss.eventually(t, "frank in staff", func() bool {
		out, _ := nss.run(t, "id", "-G", "frank")
		return slices.Contains(strings.Fields(out), strconv.Itoa(int(staff.GIDNumber)))
	})
	if err := f.st.DeleteUser(ctx, frank.ID); err != nil {
		t.Fatal(err)
	}
	nss.eventually(t, "frank gone", func() bool {
		_, code := nss.run(t, "getent", "passwd", "frank")
		return code == 2
	})

	// A locked account still resolves: NSS only names accounts; logging in
	// goes through PAM (pam_ldap binds as the user), which the server
	// refuses for a locked account.
	if _, err := f.st.UpdateUser(ctx, f.users["bob"].ID, func(u *store.User) error {
		u.LockDate = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if out := nss.want(t, 0, "getent", "passwd", "bob"); !strings.HasPrefix(out, "bob:") {
		t.Errorf("getent passwd of a locked user: %s", out)
	}
}

// passwdLine returns a passwd line with its password field, which nslcd
// fills with "*" or "x" when it cannot read a crypt hash, written "x".
func passwdLine(out string) string {
	fields := strings.Split(strings.TrimSpace(out), ":")
	if len(fields) == 7 && (fields[1] == "*" || fields[1] == "x") {
		fields[1] = "x"
	}
	return strings.Join(fields, ":")
}

// groupLine splits a group line; the members come back sorted.
func groupLine(t *testing.T, out string) (string, uint32, string) {
	t.Helper()
	fields := strings.Split(strings.TrimSpace(out), ":")
	if len(fields) != 4 {
		t.Fatalf("not a group line: %q", out)
	}
	gid, _ := strconv.ParseUint(fields[2], 10, 32)
	members := strings.Split(fields[3], ",")
	slices.Sort(members)
	return fields[0], uint32(gid), strings.Join(members, ",")
}

// nssRunner runs getent and id with a timeout.
type nssRunner struct{}

func (nssRunner) run(t *testing.T, tool string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: timed out after 20 s", tool, strings.Join(args, " "))
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", tool, err)
	}
	return string(out), 0
}

func (n nssRunner) want(t *testing.T, code int, tool string, args ...string) string {
	t.Helper()
	out, got := n.run(t, tool, args...)
	if got != code {
		t.Fatalf("%s %s: exit status %d, want %d\n%s", tool, strings.Join(args, " "), got, code, out)
	}
	return out
}

// eventually retries cond for up to 10 s.
func (nssRunner) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("%s: not seen within 10 s", what)
			return
		}
	}
}

// startNSLCD configures NSS and nslcd for the server at addr and starts
// nslcd in the foreground; everything is undone in t.Cleanup.
func startNSLCD(t *testing.T, addr string) {
	conf := fmt.Sprintf(`# Written by canaille's TestNSLCD (ldapserver/nslcd_test.go); the original
# file is restored when the test ends.
uri ldap://%s/
base %s
binddn %s
bindpw %s
base passwd ou=users,%[2]s
base group ou=groups,%[2]s
pagesize 100
nss_initgroups_ignoreusers ALLLOCAL
bind_timelimit 5
timelimit 10
reconnect_sleeptime 1
reconnect_retrytime 1
`, addr, root, aliceDN, alicePass)
	var owner *user.User
	if u, err := user.Lookup("nslcd"); err == nil { // run as Debian does
		owner = u
		conf = "uid nslcd\ngid nslcd\n" + conf
	}
	nsswitch, err := os.ReadFile("/etc/nsswitch.conf")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	replaceFile(t, "/etc/nsswitch.conf", []byte(withLDAP(string(nsswitch))), 0o644)
	replaceFile(t, "/etc/nslcd.conf", []byte(conf), 0o600)

	if _, err := os.Stat(nslcdDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(nslcdDir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(nslcdDir) })
	}
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		os.Chown(nslcdDir, uid, gid)
	}

	logs := &lockedBuffer{}
	cmd := exec.Command(nslcdBin, "-d")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("nslcd (pid %d) ignored SIGTERM for 5 s and was killed", cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("nslcd -d output (last 8 KiB):\n%s", logs.tail(8<<10))
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("nslcd exited at start (%v):\n%s", err, logs.tail(8<<10))
		default:
		}
		if conn, err := net.Dial("unix", nslcdSocket); err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nslcd did not open %s within 10 s:\n%s", nslcdSocket, logs.tail(8<<10))
		}
	}
}

// withLDAP returns an nsswitch.conf resolving users and groups from files
// then ldap, the other databases as before.
func withLDAP(orig string) string {
	out := []string{"passwd: files ldap", "group: files ldap"}
	for _, line := range strings.Split(orig, "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "passwd:" || f[0] == "group:") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// replaceFile writes content to path atomically and restores the original
// (contents, mode and owner), or removes the file, in t.Cleanup. A copy of
// the original stays in path.canaille-test until then, should the test
// process die.
func replaceFile(t *testing.T, path string, content []byte, mode fs.FileMode) {
	t.Helper()
	backup := path + ".canaille-test"
	if _, err := os.Stat(backup); err == nil {
		t.Fatalf("%s exists: an earlier run of this test did not finish; check it and move it back to %s", backup, path)
	}
	orig, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	origMode, uid, gid := mode, 0, 0
	if fi, err := os.Stat(path); err == nil {
		origMode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	if existed {
		if err := writeAtomic(backup, orig, origMode, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if !existed {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("remove %s: %v", path, err)
			}
			return
		}
		if err := writeAtomic(path, orig, origMode, uid, gid); err != nil {
			t.Errorf("restore %s: %v (the original is in %s)", path, err, backup)
			return
		}
		os.Remove(backup)
	})
	if err := writeAtomic(path, content, mode, 0, 0); err != nil {
		t.Fatal(err)
	}
}

func writeAtomic(path string, content []byte, mode fs.FileMode, uid, gid int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	for _, step := range []func() error{
		func() error { return err },
		func() error { return os.Chmod(tmp.Name(), mode) },
		func() error { return os.Chown(tmp.Name(), uid, gid) },
		func() error { return os.Rename(tmp.Name(), path) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) > n {
		return string(b.buf[len(b.buf)-n:])
	}
	return string(b.buf)
}
