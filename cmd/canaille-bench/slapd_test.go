package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slapdServer is a throwaway OpenLDAP slapd started by a test.
type slapdServer struct {
	url       string
	pid       int
	rootDN    string
	rootPW    string
	otherBase string // an empty second database, for populate
}

// startSlapd starts slapd on a free 127.0.0.1 port with an mdb database
// of the benchmark directory (users users) loaded by slapadd, and a second
// empty database under dc=populate,dc=test. It is stopped by its PID when
// the test ends. The test is skipped when slapd is not installed.
func startSlapd(t *testing.T, users int) *slapdServer {
	t.Helper()
	const slapd, slapadd = "/usr/sbin/slapd", "/usr/sbin/slapadd"
	for _, p := range []string{slapd, slapadd} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing, so the slapd integration test cannot run (apt-get install slapd)", p)
		}
	}
	schemaDir := ""
	for _, d := range []string{"/etc/ldap/schema", "/etc/openldap/schema"} {
		if _, err := os.Stat(filepath.Join(d, "nis.schema")); err == nil {
			schemaDir = d
		}
	}
	if schemaDir == "" {
		t.Skip("no OpenLDAP schema directory (/etc/ldap/schema) with nis.schema")
	}
	modules := ""
	if _, err := os.Stat("/usr/lib/ldap/back_mdb.so"); err == nil {
		modules = "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
	}
	dir := t.TempDir()
	s := &slapdServer{rootDN: "cn=admin,dc=example,dc=org", rootPW: "admin-secret", otherBase: "dc=populate,dc=test"}
	rootHash, _ := saltedHash("ssha", s.rootPW, []byte("salt"))
	var conf strings.Builder
	for _, name := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&conf, "include %s/%s.schema\n", schemaDir, name)
	}
	fmt.Fprintf(&conf, "pidfile %s/slapd.pid\nargsfile %s/slapd.args\n%ssizelimit unlimited\n", dir, dir, modules)
	for i, db := range []struct{ suffix, rootDN string }{{"dc=example,dc=org", s.rootDN}, {s.otherBase, "cn=admin," + s.otherBase}} {
		dbDir := filepath.Join(dir, fmt.Sprintf("db%d", i))
		if err := os.Mkdir(dbDir, 0o700); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "database mdb\nmaxsize 104857600\nsuffix %q\nrootdn %q\nrootpw %s\ndirectory %s\n"+
			"index objectClass,uid,mail,cn eq\n"+
			"access to attrs=userPassword by anonymous auth by * none\naccess to * by users read\n",
			db.suffix, db.rootDN, rootHash, dbDir)
	}
	confPath := filepath.Join(dir, "slapd.conf")
	ldifPath := filepath.Join(dir, "users.ldif")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var ldif bytes.Buffer
	if err := writeLDIF(&ldif, &directory{base: "dc=example,dc=org", users: users, groups: 5, scheme: "ssha"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ldifPath, ldif.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(slapadd, "-q", "-f", confPath, "-b", "dc=example,dc=org", "-l", ldifPath).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.url = "ldap://" + addr
	var log bytes.Buffer
	// -d 0 keeps slapd in the foreground, so that the child is the server.
	cmd := exec.Command(slapd, "-f", confPath, "-h", s.url+"/", "-d", "0")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := dialClient(s.url, time.Second)
		if err == nil {
			c.close()
			return s
		}
		select {
		case <-exited:
			t.Fatalf("slapd exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not answer on %s: %v", s.url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWorkloadsAgainstSlapd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const users = 1000
	s := startSlapd(t, users)
	for _, wl := range workloads {
		t.Run(wl.name, func(t *testing.T) {
			cfg := &runConfig{url: s.url, base: "dc=example,dc=org", users: users, workload: wl,
				concurrency: 4, duration: time.Second, warmup: 200 * time.Millisecond,
				serviceDN: s.rootDN, servicePassword: s.rootPW, pids: []int{s.pid}, label: "slapd"}
			res, err := measure(context.Background(), cfg, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Ops == 0 {
				t.Fatalf("%d operations, %d errors: %v", res.Ops, res.Errors, res.FirstErrors)
			}
			if res.CPUUSPerOp == nil || *res.CPUUSPerOp <= 0 || *res.RSSMB <= 1 || !(res.P50US <= res.P99US && res.P99US <= res.MaxUS) {
				t.Errorf("implausible figures: %+v", res)
			}
			// Every successful operation's requests are counted: one
			// per operation, three for a login, one per page of a scan.
			want := map[string]uint64{"bind-search": 3 * res.Ops, "search-all": users / searchAllPageSize * res.Ops}[wl.name]
			if want == 0 {
				want = res.Ops
			}
			if res.Requests != want || res.ReqP50US <= 0 || res.ReqP99US < res.ReqP50US || (want == res.Ops && res.ReqP99US > res.MaxUS) {
				t.Errorf("requests %d (want %d), p50 %.0f µs, p99 %.0f µs", res.Requests, want, res.ReqP50US, res.ReqP99US)
			}
			t.Logf("%s: %.0f ops/s, p50 %.0f µs, p99 %.0f µs, server %.1f µs/op, client %.1f µs/op; %d requests, p99 %.0f µs",
				wl.name, res.OpsPerSec, res.P50US, res.P99US, *res.CPUUSPerOp, res.ClientUSOp, res.Requests, res.ReqP99US)
		})
	}

	t.Run("cli-json", func(t *testing.T) {
		var out, errOut bytes.Buffer
		status := run(context.Background(), []string{"run", "--url", s.url, "--users", fmt.Sprint(users),
			"--workload", "search-eq", "--concurrency", "2", "--duration", "300ms", "--warmup", "0s",
			"--pid", fmt.Sprint(s.pid), "--label", "slapd", "--json"}, &out, &errOut)
		var res result
		if status != 0 || json.Unmarshal(out.Bytes(), &res) != nil || res.Label != "slapd" || res.Ops == 0 || res.RSSMB == nil {
			t.Fatalf("status %d, %s %s", status, out.String(), errOut.String())
		}
		var table bytes.Buffer
		writeTable(&table, []*result{&res}, "slapd")
		if !strings.Contains(table.String(), "| search-eq | slapd |") {
			t.Errorf("table: %s", table.String())
		}
	})

	t.Run("bad-password", func(t *testing.T) {
		cfg := &runConfig{url: s.url, base: "dc=example,dc=org", users: users, workload: findWorkload("search-eq"),
			concurrency: 2, duration: time.Second, serviceDN: s.rootDN, servicePassword: "wrong"}
		_, err := measure(context.Background(), cfg, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "Invalid Credentials (49)") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		cfg := &runConfig{url: s.url, base: "dc=example,dc=org", users: users, workload: findWorkload("bind"),
			concurrency: 2, duration: time.Minute, warmup: 100 * time.Millisecond,
			serviceDN: s.rootDN, servicePassword: s.rootPW}
		start := time.Now()
		res, err := measure(ctx, cfg, io.Discard)
		if !errors.Is(err, errInterrupted) || res == nil || !res.Interrupted || res.Ops == 0 || time.Since(start) > 5*time.Second {
			t.Fatalf("got %+v, %v after %v", res, err, time.Since(start))
		}
	})

	t.Run("populate", func(t *testing.T) {
		d := &directory{base: s.otherBase, users: 60, groups: 3, scheme: "ssha"}
		added, skipped, err := populate(context.Background(), d, s.url, "cn=admin,"+s.otherBase, s.rootPW, 3)
		if err != nil || added != 3+60+3 || skipped != 0 {
			t.Fatalf("added %d, skipped %d: %v", added, skipped, err)
		}
		if added, skipped, err = populate(context.Background(), d, s.url, "cn=admin,"+s.otherBase, s.rootPW, 3); err != nil || added != 0 || skipped != 66 {
			t.Fatalf("again: added %d, skipped %d: %v", added, skipped, err)
		}
		cfg := &runConfig{url: s.url, base: s.otherBase, users: 60, workload: findWorkload("bind-search"),
			concurrency: 2, duration: 300 * time.Millisecond, serviceDN: userDN(s.otherBase, 0), servicePassword: userPassword(0)}
		res, err := measure(context.Background(), cfg, io.Discard)
		if err != nil || res.Errors != 0 || res.Ops == 0 {
			t.Fatalf("bind-search on populated entries: %+v, %v", res, err)
		}
	})
}

func TestUnreachableServer(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	status := run(context.Background(), []string{"run", "--url", "ldap://" + addr, "--users", "10", "--workload", "bind"}, &out, &errOut)
	if status != 1 || !strings.Contains(errOut.String(), "cannot connect to ldap://"+addr) {
		t.Fatalf("status %d: %s", status, errOut.String())
	}
}

func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"help", "run"}, 0, "search-all"},
		{[]string{"run", "--help"}, 0, "-concurrency"},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"run", "--users", "5"}, 2, "are required"},
		{[]string{"run", "--url", "ldap://x", "--users", "5", "--workload", "dance"}, 2, "unknown workload"},
		{[]string{"run", "--url", "ldap://x", "--users", "5", "--workload", "bind", "--pid", "abc"}, 2, "not a process ID"},
		{[]string{"ldif"}, 2, "--users must be"},
		{[]string{"ldif", "--users", "2", "extra"}, 2, "unexpected argument"},
		{[]string{"ldif", "--users", "2"}, 0, "dn: uid=user000001,ou=users,dc=example,dc=org"},
		{[]string{"populate", "--users", "2"}, 2, "--url and --bind-dn are required"},
	} {
		var out, errOut bytes.Buffer
		status := run(context.Background(), c.args, &out, &errOut)
		if status != c.status || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("%v: status %d, output %s%s", c.args, status, out.String(), errOut.String())
		}
	}
}
