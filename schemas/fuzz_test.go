package schemas

import (
	"bytes"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store/ldif"
)

// fuzzEntry builds an entry from fuzz input: one "name:value" pair per
// line (the value is every byte after the first colon, a single leading
// space removed; "\n" inside values cannot occur, so "\x00n" stands for a
// newline). Names are not checked, as UserFromEntry must cope with any
// Entry.
func fuzzEntry(dn string, data []byte) *ldif.Entry {
	e := &ldif.Entry{DN: dn}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		value = bytes.ReplaceAll(value, []byte("\x00n"), []byte("\n"))
		e.Attributes = append(e.Attributes, ldif.Attribute{Name: string(name), Values: [][]byte{value}})
	}
	return e
}

// secretPart is the part of a userPassword value that must never appear in
// an error or a warning: what follows the {SCHEME} prefix of a known scheme
// (whose name may be reported), or the whole value, when it is long enough
// to be recognisable.
func secretPart(e *ldif.Entry) string {
	v := e.First("userPassword")
	if i := strings.IndexByte(v, '}'); strings.HasPrefix(v, "{") && i > 0 && knownScheme(v) {
		v = v[i+1:]
	}
	if len(v) < 8 {
		return ""
	}
	return v
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// FuzzUserFromEntry checks that UserFromEntry never panics, never reports a
// password in an error or a warning, and that a user it returns, once
// normalised and valid, survives UserToEntry, the LDIF writer and reader,
// and UserFromEntry again.
func FuzzUserFromEntry(f *testing.F) {
	f.Add([]byte("uid: alice\ncn: Alice\nuserPassword: {SSHA}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := fuzzEntry("uid=x,"+testUsers, data)
		imp, err := UserFromEntry(e)
		secret := secretPart(e)
		if err != nil {
			if secret != "" && containsFold(err.Error(), secret) {
				t.Fatalf("error %q quotes the password", err)
			}
			return
		}
		for _, w := range imp.Warnings {
			if secret != "" && containsFold(w, secret) {
				t.Fatalf("warning %q quotes the password", w)
			}
		}
		u := imp.User
		u.Normalize()
		if u.Validate() != nil {
			return
		}
		out := UserToEntry(&u, imp.Photo, allOptions)
		var buf bytes.Buffer
		w := ldif.NewWriter(&buf)
		if err := w.Write(out); err != nil {
			t.Fatalf("cannot write the entry of a valid user: %v", err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		back, err := ldif.NewReader(&buf).Next()
		if err != nil {
			t.Fatalf("cannot read back the entry of a valid user: %v", err)
		}
		imp2, err := UserFromEntry(back)
		if err != nil {
			t.Fatalf("cannot import the entry of a valid user: %v", err)
		}
		if imp2.User.UserName != u.UserName || imp2.User.PasswordHash != u.PasswordHash ||
			!bytes.Equal(imp2.Photo, imp.Photo) || imp2.User.UIDNumber != u.UIDNumber {
			t.Fatalf("second import differs:\n got %+v\nwant %+v", imp2.User, u)
		}
	})
}

// FuzzGroupFromEntry checks that GroupFromEntry never panics and that the
// DNs it returns never include the group's own DN.
func FuzzGroupFromEntry(f *testing.F) {
	f.Add([]byte("cn: staff\nmember: cn=staff,ou=groups,dc=example,dc=org\nuniqueMember: uid=a#'01'B\nmemberUid: a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := fuzzEntry("cn=staff,"+testGroups, data)
		imp, err := GroupFromEntry(e)
		if err != nil {
			return
		}
		self := dnKey(e.DN)
		for _, dn := range imp.MemberDNs {
			if dn == "" || dnKey(dn) == self {
				t.Fatalf("member DN %q kept", dn)
			}
		}
		out := GroupToEntry(&imp.Group, Options{GroupsBase: testGroups, NIS: true})
		if !out.Has("member") {
			t.Fatal("NIS group without member")
		}
	})
}
