package ldapserver_test

// Tests with OpenLDAP's command-line clients (Debian package ldap-utils)
// against the in-process server: what administrators and scripts type.
// Each check looks at the exit status (the LDAP result code) and at what
// the tool printed.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/ldif"
)

var ldapTools = []string{"ldapsearch", "ldapwhoami", "ldapadd", "ldapmodify", "ldapdelete",
	"ldapmodrdn", "ldappasswd", "ldapcompare"}

// OIDs the root DSE must announce.
const (
	oidPaging    = "1.2.840.113556.1.4.319"
	oidSort      = "1.2.840.113556.1.4.473"
	oidWhoAmI    = "1.3.6.1.4.1.4203.1.11.3"
	oidPasswdMod = "1.3.6.1.4.1.4203.1.11.1"
	oidStartTLS  = "1.3.6.1.4.1.1466.20037"
)

// clients runs the OpenLDAP tools against one server.
type clients struct {
	url string
	env []string
}

// newClients skips the test when a tool is missing. The tools get a
// clean environment: no LDAP* variable of the caller, a HOME without
// .ldaprc, the C locale (so that messages can be compared).
func newClients(t *testing.T, f *fixture, env ...string) *clients {
	t.Helper()
	for _, tool := range ldapTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install OpenLDAP's client tools (apt-get install ldap-utils) to run the real-client tests", tool)
		}
	}
	base := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C", "LANG=C"}
	return &clients{url: "ldap://" + f.addr, env: append(base, env...)}
}

// with returns a copy talking to another URL with more environment.
func (c *clients) with(url string, env ...string) *clients {
	return &clients{url: url, env: append(slices.Clone(c.env), env...)}
}

// outcome is what a tool did.
type outcome struct {
	cmd            string
	code           int
	stdout, stderr string
}

func (o outcome) String() string {
	return fmt.Sprintf("%s\nexit status %d\nstdout:\n%s\nstderr:\n%s", o.cmd, o.code, o.stdout, o.stderr)
}

// run runs a tool with -H and the given arguments, 20 s at most.
func (c *clients) run(t *testing.T, stdin, tool string, args ...string) outcome {
	t.Helper()
	args = append([]string{"-H", c.url}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	o := outcome{cmd: fmt.Sprintf("%s %q", tool, args), stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("timed out after 20 s (the server hangs?):\n%s", o)
	case errors.As(err, &ee):
		o.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", o.cmd, err)
	}
	return o
}

// want runs a tool and fails the test when the exit status is not code.
func (c *clients) want(t *testing.T, code int, stdin, tool string, args ...string) outcome {
	t.Helper()
	o := c.run(t, stdin, tool, args...)
	if o.code != code {
		t.Fatalf("want exit status %d:\n%s", code, o)
	}
	return o
}

// expect runs a tool that must end with LDAP result code and print msg.
// ldappasswd exits with 1 on any failure, and prints the code.
func (c *clients) expect(t *testing.T, code int, msg, stdin, tool string, args ...string) outcome {
	t.Helper()
	exit := code
	if tool == "ldappasswd" {
		exit = min(code, 1)
	}
	o := c.want(t, exit, stdin, tool, args...)
	if !strings.Contains(o.stdout+o.stderr, msg) {
		t.Errorf("want %q in the output:\n%s", msg, o)
	}
	return o
}

// search runs ldapsearch -LLL and parses its LDIF.
func (c *clients) search(t *testing.T, code int, auth []string, args ...string) ([]*ldif.Entry, outcome) {
	t.Helper()
	full := append(append([]string{"-LLL", "-o", "ldif_wrap=no"}, auth...), args...)
	o := c.want(t, code, "", "ldapsearch", full...)
	return parseLDIF(t, o), o
}

func parseLDIF(t *testing.T, o outcome) []*ldif.Entry {
	t.Helper()
	var out []*ldif.Entry
	r := ldif.NewReader(strings.NewReader(o.stdout))
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("the output is not LDIF: %v\n%s", err, o)
		}
		out = append(out, e)
	}
}

func as(dn, pw string) []string { return []string{"-x", "-D", dn, "-w", pw} }

var anon = []string{"-x"}

// names lists the attribute names of an entry, lower-case and sorted.
func names(e *ldif.Entry) string {
	var out []string
	for _, a := range e.Attributes {
		out = append(out, strings.ToLower(a.Name))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// values returns the values of one attribute of the entries, sorted.
func values(attr string, es ...*ldif.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Strings(attr)...)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// inOrder returns the first value of attr of each entry, in order.
func inOrder(es []*ldif.Entry, attr string) string {
	var out []string
	for _, e := range es {
		out = append(out, e.First(attr))
	}
	return strings.Join(out, " ")
}

func TestRealClientSearch(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	alice, admin := as(aliceDN, alicePass), as(adminDN, adminPass)
	users := "ou=users," + root

	t.Run("anonymous root DSE", func(t *testing.T) {
		es, o := c.search(t, 0, anon, "-b", "", "-s", "base", "(objectClass=*)", "+")
		if len(es) != 1 || es[0].DN != "" {
			t.Fatalf("want the root DSE alone:\n%s", o)
		}
		e := es[0]
		if e.First("namingContexts") != root || !slices.Contains(e.Strings("supportedLDAPVersion"), "3") ||
			!slices.Contains(e.Strings("supportedControl"), oidPaging) || !slices.Contains(e.Strings("supportedControl"), oidSort) ||
			!slices.Contains(e.Strings("supportedExtension"), oidWhoAmI) || !slices.Contains(e.Strings("supportedExtension"), oidPasswdMod) ||
			e.First("vendorName") == "" {
			t.Errorf("root DSE incomplete:\n%s", o)
		}
		if slices.Contains(e.Strings("supportedExtension"), oidStartTLS) {
			t.Errorf("StartTLS announced by a server without TLS:\n%s", o)
		}
	})

	t.Run("anonymous sees no tree", func(t *testing.T) {
		es, o := c.search(t, 32, anon, "-b", root, "(objectClass=*)", "1.1")
		if len(es) != 0 || !strings.Contains(o.stderr, "No such object (32)") {
			t.Errorf("anonymous search of the tree:\n%s", o)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct{ filter, uids string }{
			{"(uid=bob)", "bob"},
			{"(UID=BOB)", "bob"},
			{"(cn=ali*)", "alice"},
			{"(cn=*li*ster)", "alice"},
			{"(mail=*@EXAMPLE.org)", "admin alice bob"},
			{"(telephoneNumber=*)", "admin alice bob"},
			{"(telephoneNumber=+33123456789)", "admin alice bob"},
			{"(description=*)", ""},
			{"(|(uid=alice)(uid=bob))", "alice bob"},
			{"(!(uid=alice))", "admin bob"},
			{"(&(objectClass=posixAccount)(|(uid=alice)(uid=bob))(!(uid=bob)))", "alice"},
			{"(&(uid=alice)(sn=nobody))", ""},
			{"(givenName~=alice)", "alice"},
			{"(uidNumber>=1)", "admin alice bob"},
			{"(memberOf=cn=staff,ou=groups," + root + ")", "alice bob"},
			{"(objectClass=groupOfNames)", ""},
		} {
			es, o := c.search(t, 0, alice, "-b", users, "-s", "one", tc.filter, "uid")
			if got := values("uid", es...); got != tc.uids {
				t.Errorf("%s: uids %q, want %q\n%s", tc.filter, got, tc.uids, o)
			}
		}
		es, o := c.search(t, 0, alice, "-b", "ou=groups,"+root, "(&(objectClass=posixGroup)(memberUid=bob))", "cn")
		if got := values("cn", es...); got != "staff" {
			t.Errorf("groups of bob: %q\n%s", got, o)
		}
	})

	t.Run("attribute lists", func(t *testing.T) {
		base := []string{"-b", bobDN, "-s", "base", "(objectClass=*)"}
		for _, tc := range []struct {
			attrs []string
			check func(e *ldif.Entry) bool
		}{
			{[]string{"uid", "mail"}, func(e *ldif.Entry) bool { return names(e) == "mail uid" && e.First("uid") == "bob" }},
			{[]string{"+"}, func(e *ldif.Entry) bool {
				return e.Has("entryUUID") && e.Has("createTimestamp") && e.Has("modifyTimestamp") &&
					e.First("entryDN") == bobDN && e.First("hasSubordinates") == "FALSE" && !e.Has("cn") && !e.Has("uid")
			}},
			{[]string{"1.1"}, func(e *ldif.Entry) bool { return len(e.Attributes) == 0 }},
			{[]string{"*", "+"}, func(e *ldif.Entry) bool { return e.Has("cn") && e.Has("entryUUID") && !e.Has("userPassword") }},
			{nil, func(e *ldif.Entry) bool { return e.Has("cn") && !e.Has("entryUUID") && !e.Has("userPassword") }},
		} {
			es, o := c.search(t, 0, alice, append(base, tc.attrs...)...)
			if len(es) != 1 || !strings.EqualFold(es[0].DN, bobDN) || !tc.check(es[0]) {
				t.Errorf("attributes %q:\n%s", tc.attrs, o)
			}
		}
		// typesOnly (-A): the names, no values.
		es, o := c.search(t, 0, alice, append([]string{"-A"}, append(base, "uid", "mail", "cn")...)...)
		if len(es) != 1 || names(es[0]) != "cn mail uid" || values("uid", es...)+values("mail", es...)+values("cn", es...) != "" {
			t.Errorf("typesOnly:\n%s", o)
		}
		// Administrators read password hashes; never in clear.
		es, o = c.search(t, 0, admin, append(base, "userPassword")...)
		if len(es) != 1 || !strings.HasPrefix(es[0].First("userPassword"), "{ARGON2}") {
			t.Errorf("userPassword for an administrator:\n%s", o)
		}
	})

	t.Run("LDIF of an entry", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/realclients/bob.ldif")
		if err != nil {
			t.Fatal(err)
		}
		bob := f.users["bob"]
		text := strings.NewReplacer("{{uidNumber}}", strconv.Itoa(int(bob.UIDNumber)),
			"{{gidNumber}}", strconv.Itoa(int(bob.GIDNumber))).Replace(string(raw))
		want := parseLDIF(t, outcome{stdout: text})
		es, o := c.search(t, 0, alice, "-b", bobDN, "-s", "base", "(objectClass=*)", "*", "memberOf")
		if len(es) != 1 {
			t.Fatalf("want one entry:\n%s", o)
		}
		if got, want := canonical(es[0]), canonical(want[0]); got != want {
			t.Errorf("bob differs from testdata/realclients/bob.ldif:\n got:\n%s\nwant:\n%s", got, want)
		}
		// The whole tree, as a backup script would dump it.
		es, o = c.search(t, 0, admin, "-b", root, "(objectClass=*)")
		var got []string
		for _, e := range es {
			got = append(got, strings.ToLower(e.DN))
			if !e.Has("objectClass") {
				t.Errorf("%s has no objectClass", e.DN)
			}
		}
		slices.Sort(got)
		// cn=admin, cn=alice and cn=bob are the users' private groups.
		if strings.Join(got, ";") != "cn=admin,ou=groups,dc=example,dc=org;cn=admins,ou=groups,dc=example,dc=org;"+
			"cn=alice,ou=groups,dc=example,dc=org;cn=bob,ou=groups,dc=example,dc=org;cn=staff,ou=groups,dc=example,dc=org;"+
			"dc=example,dc=org;ou=groups,dc=example,dc=org;ou=users,dc=example,dc=org;uid=admin,ou=users,dc=example,dc=org;"+
			"uid=alice,ou=users,dc=example,dc=org;uid=bob,ou=users,dc=example,dc=org" {
			t.Errorf("subtree DNs %s:\n%s", got, o)
		}
	})

	t.Run("size limit", func(t *testing.T) {
		es, o := c.search(t, 4, admin, "-z", "2", "-b", users, "-s", "one", "(objectClass=person)", "uid")
		if len(es) != 2 || !strings.Contains(o.stderr, "Size limit exceeded (4)") {
			t.Errorf("-z 2 over 3 users:\n%s", o)
		}
	})

	t.Run("missing base", func(t *testing.T) {
		_, o := c.search(t, 32, alice, "-b", "uid=nobody,"+users, "-s", "base", "(objectClass=*)")
		if !strings.Contains(o.stderr, "No such object (32)") || !strings.Contains(strings.ToLower(o.stderr), "matched dn: "+users) {
			t.Errorf("missing base:\n%s", o)
		}
	})

	t.Run("controls", func(t *testing.T) {
		// RFC 4511 4.1.11: a critical control the server does not know
		// fails the operation with unavailableCriticalExtension (12).
		for _, opt := range []string{"-E", "-e"} {
			es, o := c.search(t, 12, alice, opt, "!1.2.3.4", "-b", users, "(uid=bob)", "uid")
			if len(es) != 0 || !strings.Contains(o.stderr, "Critical extension is unavailable (12)") {
				t.Errorf("critical unknown control with %s:\n%s", opt, o)
			}
		}
		// Not critical: ignored.
		es, o := c.search(t, 0, alice, "-E", "1.2.3.4", "-b", users, "(uid=bob)", "uid")
		if values("uid", es...) != "bob" {
			t.Errorf("non-critical unknown control:\n%s", o)
		}
	})
}

// canonical renders an entry for comparisons: the DN, then one
// "name: value" line per value, names in lower case, lines sorted.
func canonical(e *ldif.Entry) string {
	var lines []string
	for _, a := range e.Attributes {
		for _, v := range e.Strings(a.Name) {
			lines = append(lines, strings.ToLower(a.Name)+": "+v)
		}
	}
	slices.Sort(lines)
	return strings.Join(append([]string{"dn: " + strings.ToLower(e.DN)}, lines...), "\n")
}

func TestRealClientPagingAndSort(t *testing.T) {
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) { c.SizeLimit = 10 })
	c := newClients(t, f)
	ctx := context.Background()
	var ascending, descending []string // uids by sn
	for i := range 40 {
		name := fmt.Sprintf("u%02d", i)
		if _, err := f.st.CreateUser(ctx, store.User{UserName: name, FamilyName: fmt.Sprintf("Zz%02d", 39-i)}); err != nil {
			t.Fatal(err)
		}
		ascending = append([]string{name}, ascending...)
		descending = append(descending, name)
	}
	admin := as(adminDN, adminPass)
	users := []string{"-b", "ou=users," + root, "-s", "one"}
	args := func(extra ...string) []string { return append(slices.Clone(users), extra...) }

	// The server's size limit (10) caps an unpaged search...
	es, o := c.search(t, 4, admin, args("(objectClass=person)", "uid")...)
	if len(es) != 10 || !strings.Contains(o.stderr, "Size limit exceeded (4)") {
		t.Errorf("unpaged search over the size limit: %d entries\n%s", len(es), o)
	}
	// ...and paging (RFC 2696) returns everything, page by page.
	es, o = c.search(t, 0, admin, append([]string{"-E", "pr=7/noprompt"}, args("(objectClass=person)", "uid")...)...)
	uids := strings.Fields(values("uid", es...))
	if len(es) != 43 || len(slices.Compact(uids)) != 43 {
		t.Errorf("paged search: %d entries, %d distinct uids\n%s", len(es), len(slices.Compact(uids)), o)
	}

	// Server-side sort (RFC 2891). sn has no ORDERING rule (RFC 4519
	// "name"): the key names one, as with OpenLDAP.
	sn := "sn:caseIgnoreOrderingMatch"
	es, o = c.search(t, 4, admin, append([]string{"-E", "sss=" + sn, "-z", "5"}, args("(uid=u*)", "uid", "sn")...)...)
	if got := inOrder(es, "uid"); got != strings.Join(ascending[:5], " ") {
		t.Errorf("sorted, -z 5: %s, want %s\n%s", got, strings.Join(ascending[:5], " "), o)
	}
	sorted := func(want []string, opts ...string) {
		t.Helper()
		es, o := c.search(t, 0, admin, append(opts, args("(uid=u*)", "uid", "sn")...)...)
		if got := inOrder(es, "uid"); got != strings.Join(want, " ") {
			t.Errorf("%q: %s, want %s\n%s", opts, got, strings.Join(want, " "), o)
		}
	}
	sorted(ascending, "-E", "pr=6/noprompt", "-E", "sss="+sn)
	sorted(ascending, "-E", "pr=6/noprompt", "-E", "!sss="+sn)
	sorted(descending, "-E", "pr=50/noprompt", "-E", "sss=-"+sn)
	// Without an ordering rule the server cannot sort: a non-critical
	// control gets every entry unsorted, with sortResult
	// inappropriateMatching (18); a critical one fails the search without
	// entries (RFC 2891 1.2: unavailableCriticalExtension; slapd answers
	// 18).
	es, o = c.search(t, 0, admin, append([]string{"-E", "pr=50/noprompt", "-E", "sss=sn"}, args("(uid=u*)", "uid")...)...)
	if len(es) != 40 || !strings.Contains(o.stdout, "# sortResult: (18)") {
		t.Errorf("non-critical sort on sn: %d entries\n%s", len(es), o)
	}
	if o := c.run(t, "", "ldapsearch", append(append([]string{"-LLL"}, admin...), append([]string{"-E", "pr=50/noprompt", "-E", "!sss=sn"}, args("(uid=u*)", "uid")...)...)...); (o.code != 12 && o.code != 18) || strings.Contains(o.stdout, "dn:") {
		t.Errorf("critical sort on sn: want exit status 12 (or 18) and no entries:\n%s", o)
	}
}

func TestRealClientWhoAmI(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	if o := c.want(t, 0, "", "ldapwhoami", anon...); strings.TrimSpace(o.stdout) != "anonymous" {
		t.Errorf("anonymous whoami:\n%s", o)
	}
	if o := c.want(t, 0, "", "ldapwhoami", as(aliceDN, alicePass)...); strings.TrimSpace(o.stdout) != "dn:"+aliceDN {
		t.Errorf("bound whoami:\n%s", o)
	}
	// A refused bind says "Invalid credentials (49)", and the same whatever
	// the reason: nothing tells whether the user exists or is locked.
	if _, err := f.st.UpdateUser(context.Background(), f.users["bob"].ID, func(u *store.User) error {
		u.LockDate = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wrong := c.want(t, 49, "", "ldapwhoami", as(aliceDN, "wrong-password-1")...)
	if !strings.Contains(wrong.stderr, "Invalid credentials (49)") || wrong.stdout != "" {
		t.Errorf("wrong password:\n%s", wrong)
	}
	for _, leak := range []string{"password", "exist", "unknown", "locked", "no such", "not found"} {
		if strings.Contains(strings.ToLower(wrong.stderr), leak) {
			t.Errorf("the refusal says %q:\n%s", leak, wrong)
		}
	}
	for name, auth := range map[string][]string{
		"unknown user":   as("uid=nobody,ou=users,"+root, "wrong-password-1"),
		"locked user":    as(bobDN, bobPass),
		"not a user DN":  as("cn=admin,"+root, "wrong-password-1"),
		"bare user name": as("alice", alicePass),
	} {
		if o := c.want(t, 49, "", "ldapwhoami", auth...); o.stderr != wrong.stderr || o.stdout != "" {
			t.Errorf("%s: the output differs from a wrong password's:\n%s", name, o)
		}
	}
	// A DN without a password is an unauthenticated bind (RFC 4513 5.1.2):
	// refused, never anonymous access under that name.
	if o := c.run(t, "", "ldapwhoami", as(aliceDN, "")...); o.code != 49 && o.code != 53 {
		t.Errorf("unauthenticated bind:\n%s", o)
	}
	// StartTLS on a server without TLS: protocolError (RFC 4511 4.14.2).
	if o := c.run(t, "", "ldapwhoami", "-x", "-ZZ"); o.code == 0 || !strings.Contains(o.stderr, "Protocol error (2)") {
		t.Errorf("-ZZ without TLS:\n%s", o)
	}
}

// writePEM writes the certificate of a TLS configuration for
// LDAPTLS_CACERT.
func writePEM(t *testing.T, cfg *tls.Config) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cfg.Certificates[0].Certificate[0]})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRealClientTLS(t *testing.T) {
	cfg := selfSigned(t)
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) {
		c.TLS, c.LDAPSListen, c.RequireTLSForBind = cfg, "127.0.0.1:0", true
	})
	plain := newClients(t, f)
	trusted := plain.with(plain.url, "LDAPTLS_CACERT="+writePEM(t, cfg), "LDAPTLS_REQCERT=demand")
	es, o := plain.search(t, 0, anon, "-b", "", "-s", "base", "(objectClass=*)", "supportedExtension")
	if len(es) != 1 || !slices.Contains(es[0].Strings("supportedExtension"), oidStartTLS) {
		t.Errorf("StartTLS not announced:\n%s", o)
	}
	// Passwords need TLS here: confidentialityRequired (13).
	if o := plain.want(t, 13, "", "ldapwhoami", as(aliceDN, alicePass)...); !strings.Contains(o.stderr, "Confidentiality required (13)") {
		t.Errorf("bind without TLS:\n%s", o)
	}
	if o := trusted.want(t, 0, "", "ldapwhoami", append(as(aliceDN, alicePass), "-ZZ")...); strings.TrimSpace(o.stdout) != "dn:"+aliceDN {
		t.Errorf("whoami over StartTLS:\n%s", o)
	}
	if o := trusted.want(t, 0, "", "ldapwhoami", "-x", "-ZZ"); strings.TrimSpace(o.stdout) != "anonymous" {
		t.Errorf("anonymous whoami over StartTLS:\n%s", o)
	}
	ldaps := trusted.with("ldaps://" + f.ldaps)
	if o := ldaps.want(t, 0, "", "ldapwhoami", as(bobDN, bobPass)...); strings.TrimSpace(o.stdout) != "dn:"+bobDN {
		t.Errorf("whoami over LDAPS:\n%s", o)
	}
	es, o = ldaps.search(t, 0, as(bobDN, bobPass), "-b", aliceDN, "-s", "base", "(objectClass=*)", "uid")
	if values("uid", es...) != "alice" {
		t.Errorf("search over LDAPS:\n%s", o)
	}
	if o := plain.with("ldaps://"+f.ldaps, "LDAPTLS_REQCERT=never").want(t, 0, "", "ldapwhoami", as(bobDN, bobPass)...); strings.TrimSpace(o.stdout) != "dn:"+bobDN {
		t.Errorf("LDAPS with LDAPTLS_REQCERT=never:\n%s", o)
	}
	// The certificate is checked: with another CA, the client refuses.
	other := plain.with("ldaps://"+f.ldaps, "LDAPTLS_CACERT="+writePEM(t, selfSigned(t)), "LDAPTLS_REQCERT=demand")
	if o := other.run(t, "", "ldapwhoami", as(bobDN, bobPass)...); o.code == 0 {
		t.Errorf("a certificate of another CA was accepted:\n%s", o)
	}
}

func TestRealClientWrites(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	admin, alice := as(adminDN, adminPass), as(aliceDN, alicePass)
	carolDN, carlaDN := "uid=carol,ou=users,"+root, "uid=carla,ou=users,"+root
	devsDN := "cn=devs,ou=groups," + root
	user := func(name, pw string) string {
		return fmt.Sprintf("dn: uid=%s,ou=users,%s\nobjectClass: inetOrgPerson\nuid: %[1]s\ncn: %[1]s\nsn: %[1]s\nuserPassword: %[3]s\n", name, root, pw)
	}
	expect := func(code int, msg string, auth []string, stdin, tool string, args ...string) {
		t.Helper()
		c.expect(t, code, msg, stdin, tool, append(slices.Clone(auth), args...)...)
	}
	read := func(dn string, attrs ...string) *ldif.Entry {
		t.Helper()
		es, o := c.search(t, 0, admin, append([]string{"-b", dn, "-s", "base", "(objectClass=*)"}, attrs...)...)
		if len(es) != 1 {
			t.Fatalf("read %s:\n%s", dn, o)
		}
		return es[0]
	}
	gone := func(dn string) {
		t.Helper()
		if _, o := c.search(t, 32, admin, "-b", dn, "-s", "base", "(objectClass=*)"); !strings.Contains(o.stderr, "No such object (32)") {
			t.Errorf("%s is still there:\n%s", dn, o)
		}
	}

	// ldapadd.
	expect(0, `adding new entry "`+carolDN+`"`, admin, "", "ldapadd", "-f", "testdata/realclients/add.ldif")
	if o := c.want(t, 0, "", "ldapwhoami", as(carolDN, "carol-password-1")...); strings.TrimSpace(o.stdout) != "dn:"+carolDN {
		t.Errorf("the new user cannot bind:\n%s", o)
	}
	e := read(carolDN, "*", "userPassword")
	if n, _ := strconv.Atoi(e.First("uidNumber")); n < 10000 || !slices.Contains(e.Strings("objectClass"), "posixAccount") ||
		!strings.HasPrefix(e.First("userPassword"), "{ARGON2}") {
		t.Errorf("added user: uidNumber %q, objectClass %q, userPassword stored as %.10q", e.First("uidNumber"), e.Strings("objectClass"), e.First("userPassword"))
	}
	if got := strings.ToLower(strings.Join(read(devsDN, "member").Strings("member"), ";")); got != carolDN {
		t.Errorf("members of the new group: %s", got)
	}
	expect(68, "Already exists (68)", admin, user("carol", "carol-password-1"), "ldapadd")
	expect(50, "Insufficient access (50)", alice, user("dave", "dave-password-1"), "ldapadd")
	expect(19, "Constraint violation (19)", admin, user("dave", "short"), "ldapadd")
	expect(32, "No such object (32)", admin, strings.Replace(user("dave", "dave-password-1"), "ou=users", "ou=nowhere", 1), "ldapadd")

	// ldapmodify: several changes in one request, then a group.
	expect(0, `modifying entry "`+devsDN+`"`, admin, "", "ldapmodify", "-f", "testdata/realclients/modify.ldif")
	e = read(carolDN)
	if e.First("telephoneNumber") != "+33 1 22 22 22 22" || values("mail", e) != "carol.new@example.org" ||
		e.First("title") != "Engineer" || values("givenName", e) != "Caroline" {
		t.Errorf("carol after the changes: %+v", e.Attributes)
	}
	if got := strings.ToLower(values("member", read(devsDN))); got != strings.ToLower(bobDN+" "+carolDN) {
		t.Errorf("devs members: %s", got)
	}
	if !slices.Contains(read(bobDN, "memberOf").Strings("memberOf"), devsDN) {
		t.Errorf("bob's memberOf lacks devs")
	}
	modify := func(dn, change string) string { return "dn: " + dn + "\nchangetype: modify\n" + change + "\n" }
	expect(16, "No such attribute (16)", admin, modify(carolDN, "delete: mail\nmail: nothere@example.org\n-"), "ldapmodify")
	expect(0, "modifying entry", alice, modify(aliceDN, "replace: title\ntitle: Boss\n-"), "ldapmodify")
	if read(aliceDN).First("title") != "Boss" {
		t.Errorf("alice could not change her own title")
	}
	expect(50, "Insufficient access (50)", alice, modify(aliceDN, "replace: uidNumber\nuidNumber: 0\n-"), "ldapmodify")
	expect(50, "Insufficient access (50)", alice, modify(bobDN, "replace: title\ntitle: Fired\n-"), "ldapmodify")
	expect(32, "No such object (32)", admin, modify("uid=nobody,ou=users,"+root, "replace: title\ntitle: X\n-"), "ldapmodify")
	expect(19, "Constraint violation (19)", admin, modify(carolDN, "replace: userPassword\nuserPassword: short\n-"), "ldapmodify")

	// ldapmodrdn: the old DN is gone, the groups follow.
	expect(0, "", admin, "", "ldapmodrdn", "-r", carolDN, "uid=carla")
	gone(carolDN)
	if e := read(carlaDN, "uid"); e.First("uid") != "carla" || len(e.Strings("uid")) != 1 {
		t.Errorf("renamed entry: %+v", e.Attributes)
	}
	if got := strings.ToLower(values("member", read(devsDN))); got != strings.ToLower(bobDN+" "+carlaDN) {
		t.Errorf("devs members after the rename: %s", got)
	}
	if o := c.want(t, 0, "", "ldapwhoami", as(carlaDN, "carol-password-1")...); strings.TrimSpace(o.stdout) != "dn:"+carlaDN {
		t.Errorf("bind under the new name:\n%s", o)
	}
	expect(68, "Already exists (68)", admin, "", "ldapmodrdn", "-r", carlaDN, "uid=bob")
	expect(50, "Insufficient access (50)", alice, "", "ldapmodrdn", "-r", bobDN, "uid=robert")
	expect(32, "No such object (32)", admin, "", "ldapmodrdn", "-r", carolDN, "uid=caroline")

	// ldapdelete.
	expect(50, "Insufficient access (50)", alice, "", "ldapdelete", bobDN)
	expect(0, "", admin, "", "ldapdelete", carlaDN)
	expect(32, "No such object (32)", admin, "", "ldapdelete", carlaDN)
	gone(carlaDN)
	if got := strings.ToLower(values("member", read(devsDN))); got != strings.ToLower(bobDN) {
		t.Errorf("devs members after the deletion: %s", got)
	}
	expect(0, "", admin, "", "ldapdelete", devsDN)
	gone(devsDN)
}

func TestRealClientPasswd(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	admin, alice := as(adminDN, adminPass), as(aliceDN, alicePass)
	whoami := func(dn, pw string, code int) {
		t.Helper()
		c.want(t, code, "", "ldapwhoami", as(dn, pw)...)
	}
	expect := func(code int, msg string, args ...string) outcome {
		t.Helper()
		return c.expect(t, code, msg, "", "ldappasswd", args...)
	}
	// Their own password, with the old one.
	expect(49, "Invalid credentials (49)", append(alice, "-a", "wrong-old-password", "-s", "alice-new-password")...)
	expect(19, "Constraint violation (19)", append(alice, "-a", alicePass, "-s", "short")...)
	whoami(aliceDN, alicePass, 0)
	expect(0, "", append(alice, "-a", alicePass, "-s", "alice-new-password")...)
	whoami(aliceDN, alicePass, 49)
	whoami(aliceDN, "alice-new-password", 0)
	// Others' passwords need manage_users.
	expect(50, "Insufficient access (50)", append(as(aliceDN, "alice-new-password"), "-s", "stolen-password", bobDN)...)
	whoami(bobDN, bobPass, 0)
	expect(0, "", append(admin, "-s", "bob-reset-password", bobDN)...)
	whoami(bobDN, bobPass, 49)
	whoami(bobDN, "bob-reset-password", 0)
	// Without -s, the server generates one and the tool prints it.
	o := expect(0, "New password: ", append(admin, bobDN)...)
	generated := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(o.stdout), "New password: "))
	if len(generated) < 12 || strings.ContainsAny(generated, " \n") {
		t.Fatalf("generated password %q:\n%s", generated, o)
	}
	whoami(bobDN, generated, 0)
	whoami(bobDN, "bob-reset-password", 49)
	expect(32, "No such object (32)", append(admin, "-s", "whatever-password", "uid=nobody,ou=users,"+root)...)
	expect(19, "Constraint violation (19)", append(admin, "-s", "short", bobDN)...)
	// Anonymous: refused.
	if o := c.run(t, "", "ldappasswd", "-x", "-s", "anonymous-password", bobDN); o.code == 0 {
		t.Errorf("anonymous password change:\n%s", o)
	}
	whoami(bobDN, generated, 0)
}

func TestRealClientCompare(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	admin := as(adminDN, adminPass)
	staff := "cn=staff,ou=groups," + root
	for _, tc := range []struct {
		auth       []string
		dn, assert string
		code       int
		out        string
	}{
		// What Apache's Require ldap-group asks.
		{admin, staff, "member:" + bobDN, 6, "TRUE"},
		{admin, staff, "member:UID=Bob,OU=Users," + strings.ToUpper(root), 6, "TRUE"},
		{admin, staff, "member:" + adminDN, 5, "FALSE"},
		{admin, staff, "memberUid:alice", 6, "TRUE"},
		{admin, staff, "cn:STAFF", 6, "TRUE"},
		{as(aliceDN, alicePass), aliceDN, "mail:ALICE@example.org", 6, "TRUE"},
		{as(aliceDN, alicePass), bobDN, "uid:alice", 5, "FALSE"},
		{admin, "cn=nobody,ou=groups," + root, "member:" + bobDN, 32, "No such object (32)"},
		{admin, bobDN, "description:x", 16, "No such attribute (16)"},
		{admin, bobDN, "noSuchAttributeType:x", 17, "Undefined attribute type (17)"},
	} {
		c.expect(t, tc.code, tc.out, "", "ldapcompare", append(slices.Clone(tc.auth), tc.dn, tc.assert)...)
	}
}

// TestRealClientCriticalControls sends an unknown critical control with
// every operation: RFC 4511 4.1.11 says the server MUST NOT perform it and
// MUST answer unavailableCriticalExtension (12).
func TestRealClientCriticalControls(t *testing.T) {
	f := newFixture(t)
	c := newClients(t, f)
	admin := append(as(adminDN, adminPass), "-e", "!1.2.3.4")
	staff := "cn=staff,ou=groups," + root
	for _, tc := range []struct {
		tool, stdin string
		args        []string
		code        int // ldapwhoami and ldappasswd exit with 1 on any failure
	}{
		{"ldapcompare", "", []string{staff, "member:" + bobDN}, 12},
		{"ldapmodify", "dn: " + bobDN + "\nchangetype: modify\nreplace: title\ntitle: Changed\n-\n", nil, 12},
		{"ldapadd", "dn: uid=dave,ou=users," + root + "\nobjectClass: inetOrgPerson\nuid: dave\ncn: dave\nsn: dave\n", nil, 12},
		{"ldapmodrdn", "", []string{bobDN, "uid=robert"}, 12},
		{"ldapdelete", "", []string{aliceDN}, 12},
		{"ldappasswd", "", []string{"-s", "alice-new-password", aliceDN}, 1},
		{"ldapwhoami", "", nil, 1},
	} {
		o := c.run(t, tc.stdin, tc.tool, append(slices.Clone(admin), tc.args...)...)
		if o.code != tc.code || !strings.Contains(o.stdout+o.stderr, "Critical extension is unavailable (12)") {
			t.Errorf("%s with a critical unknown control: want exit status %d and unavailableCriticalExtension (12):\n%s", tc.tool, tc.code, o)
		}
	}
	// Nothing was done.
	es, o := c.search(t, 0, as(adminDN, adminPass), "-b", "ou=users,"+root, "-s", "one", "(objectClass=*)", "uid", "title")
	if values("uid", es...) != "admin alice bob" || values("title", es...) != "" {
		t.Errorf("an operation with a refused control was performed:\n%s", o)
	}
	c.want(t, 0, "", "ldapwhoami", as(aliceDN, alicePass)...)
}
