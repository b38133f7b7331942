package schemas

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// slapcatSample is real slapcat output of OpenLDAP 2.5, kept by package ldif
// (see its testdata/README.md and make-slapcat-sample.sh).
const slapcatSample = "../store/ldif/testdata/slapcat-sample.ldif"

func TestSlapcatSample(t *testing.T) {
	data, err := os.ReadFile(slapcatSample)
	if os.IsNotExist(err) {
		t.Skipf("%s is missing", slapcatSample)
	}
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]UserImport{}
	userDNs := map[string]string{} // normalized DN -> user name
	groups := map[string]GroupImport{}
	for _, e := range readLDIF(t, data) {
		switch Classify(e) {
		case UserEntry:
			imp, err := UserFromEntry(e)
			if err != nil {
				t.Fatalf("%s: %v", e.DN, err)
			}
			if len(imp.Warnings) != 0 {
				t.Errorf("%s: warnings %q", e.DN, imp.Warnings)
			}
			users[imp.User.UserName] = imp
			userDNs[mustNormalize(t, e.DN)] = imp.User.UserName
		case GroupEntry:
			imp, err := GroupFromEntry(e)
			if err != nil {
				t.Fatalf("%s: %v", e.DN, err)
			}
			groups[imp.Group.DisplayName] = imp
		default:
			if !slices.Contains([]string{"dc=example,dc=org", "ou=users,dc=example,dc=org", "ou=groups,dc=example,dc=org"}, e.DN) {
				t.Errorf("%s classified as Other", e.DN)
			}
		}
	}
	if len(users) != 3 || len(groups) != 3 {
		t.Fatalf("%d users, %d groups; want 3 and 3", len(users), len(groups))
	}

	for _, tc := range []struct {
		name, cn, sn, given string
		emails              []string
		uid                 uint32
		scheme, password    string
	}{
		{"alice", "Alice Liddell", "Liddell", "Alice", []string{"alice@example.org"}, 10001, "{SSHA}", "alice-secret"},
		{"bob", "Bob Marley", "Marley", "", []string{"bob@example.org", "bob.marley@example.org"}, 10002, "{CRYPT}$6$", "bob-secret"},
		{"elodie", "Élodie Müller", "Müller", "Élodie", []string{"elodie@example.org"}, 10003, "{SSHA}", "élodie-secret"},
	} {
		u := users[tc.name].User
		if u.FormattedName != tc.cn || u.FamilyName != tc.sn || u.GivenName != tc.given || !slices.Equal(u.Emails, tc.emails) {
			t.Errorf("%s: names or emails wrong: %+v", tc.name, u)
		}
		if u.UIDNumber != tc.uid || u.GIDNumber != 10000 || u.HomeDirectory != "/home/"+tc.name {
			t.Errorf("%s: POSIX data wrong: %+v", tc.name, u)
		}
		if CanonicalUUID(u.ID) != u.ID || u.ID == "" || u.Created.IsZero() || u.LastModified.IsZero() {
			t.Errorf("%s: id %q created %v modified %v", tc.name, u.ID, u.Created, u.LastModified)
		}
		if !strings.HasPrefix(u.PasswordHash, tc.scheme) {
			t.Errorf("%s: hash is not %s", tc.name, tc.scheme)
		}
		if ok, _, err := testHasher(t).Verify(context.Background(), tc.password, u.PasswordHash); !ok || err != nil {
			t.Errorf("%s: the imported hash does not verify: %v", tc.name, err)
		}
	}
	if u := users["alice"].User; u.LoginShell != "/bin/bash" || !slices.Equal(u.PhoneNumbers, []string{"+33 1 23 45 67 89"}) {
		t.Errorf("alice: %+v", u)
	}
	// displayName;lang-fr is another attribute than displayName.
	el := users["elodie"]
	if el.User.DisplayName != "" || !el.User.HasPhoto || !bytes.HasPrefix(el.Photo, []byte("\xff\xd8\xff\xe0\x00\x10JFIF")) ||
		!bytes.HasSuffix(el.Photo, []byte("\xff\xd9")) {
		t.Errorf("elodie: display name %q, photo %q", el.User.DisplayName, el.Photo)
	}
	if users["bob"].Photo != nil || users["bob"].User.HasPhoto {
		t.Error("bob has a photo")
	}

	resolve := func(dns []string) []string {
		var names []string
		for _, dn := range dns {
			names = append(names, userDNs[mustNormalize(t, dn)])
		}
		return names
	}
	admins := groups["admins"]
	if got := resolve(admins.MemberDNs); !slices.Equal(got, []string{"alice", "elodie"}) ||
		admins.Group.Description != "Directory administrators" {
		t.Errorf("admins: members %q, %+v", got, admins.Group)
	}
	staff := groups["staff"]
	if staff.Group.GIDNumber != 10000 || !slices.Equal(staff.MemberUIDs, []string{"alice", "bob", "elodie"}) || len(staff.MemberDNs) != 0 {
		t.Errorf("staff: %+v", staff)
	}
	equipe, ok := groups["Équipe"]
	if got := resolve(equipe.MemberDNs); !ok || !slices.Equal(got, []string{"bob"}) {
		t.Errorf("Équipe: found %v, members %q", ok, got)
	}
}
