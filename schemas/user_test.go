package schemas

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/password"
)

var allOptions = Options{UsersBase: testUsers, GroupsBase: testGroups, WithPassword: true,
	Operational: true, PasswordPolicy: true, MemberOf: true}

func TestUserRoundTrip(t *testing.T) {
	want := fullUser()
	e := UserToEntry(&want, photoBytes, allOptions)
	if e.DN != "uid=alice,ou=users,dc=example,dc=org" {
		t.Errorf("DN = %q", e.DN)
	}
	imp, err := UserFromEntry(throughLDIF(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 0 || imp.Cleartext != "" {
		t.Errorf("warnings %q, cleartext %q", imp.Warnings, imp.Cleartext)
	}
	if !bytes.Equal(imp.Photo, photoBytes) {
		t.Errorf("photo = %q", imp.Photo)
	}

	// Second precision, except failure times (microseconds); unmapped
	// fields and the derived Groups are lost.
	want.Created = want.Created.Truncate(time.Second)
	want.LastModified = want.LastModified.Truncate(time.Second).UTC()
	want.LastOTPLogin, want.SecretToken, want.HOTPCounter = time.Time{}, "", 0
	want.Groups = nil
	if !reflect.DeepEqual(imp.User, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", imp.User, want)
	}
}

func TestUserRoundTripMinimal(t *testing.T) {
	u := store.User{UserName: "bob"}
	e := UserToEntry(&u, nil, allOptions)
	want := []string{"objectClass", "uid", "cn", "sn"} // no POSIX data, no ID, no dates
	if got := attrNames(e); !slices.Equal(got, want) {
		t.Fatalf("attributes %v, want %v", got, want)
	}
	imp, err := UserFromEntry(throughLDIF(t, e))
	if err != nil {
		t.Fatal(err)
	}
	// cn and sn are derived from the user name and come back as names.
	want2 := store.User{UserName: "bob", FormattedName: "bob", FamilyName: "bob"}
	if !reflect.DeepEqual(imp.User, want2) {
		t.Errorf("got %+v", imp.User)
	}
}

func TestUserToEntryOrder(t *testing.T) {
	u := fullUser()
	got := attrNames(UserToEntry(&u, photoBytes, allOptions))
	want := []string{"objectClass"}
	for _, m := range UserAttributes {
		if !m.ImportOnly {
			want = append(want, m.LDAP)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("attribute order\n got %v\nwant %v", got, want)
	}
	e := UserToEntry(&u, nil, allOptions)
	if oc := e.Strings("objectClass"); !slices.Equal(oc, []string{"top", "person", "organizationalPerson",
		"inetOrgPerson", "posixAccount", "shadowAccount"}) {
		t.Errorf("objectClass %v", oc)
	}
	if got := e.Strings("memberOf"); !slices.Equal(got, []string{
		"cn=admins,ou=groups,dc=example,dc=org", "cn=staff,ou=groups,dc=example,dc=org"}) {
		t.Errorf("memberOf %v", got)
	}
	if got := e.First("postalAddress"); got != `Résidence "Les \24 Pins"$Bâtiment C\5CD$75002 Paris` {
		t.Errorf("postalAddress %q", got)
	}
	if got := e.Strings("pwdFailureTime"); !slices.Equal(got, []string{"20261128100000.123456Z", "20261128100000.654321Z"}) {
		t.Errorf("pwdFailureTime %v", got)
	}
	if got := e.First("modifyTimestamp"); got != "20261128194655Z" {
		t.Errorf("modifyTimestamp %q", got)
	}
}

func TestUserToEntryOptions(t *testing.T) {
	u := fullUser()
	e := UserToEntry(&u, nil, Options{UsersBase: testUsers})
	for _, a := range []string{"userPassword", "jpegPhoto", "memberOf", "entryUUID", "createTimestamp",
		"modifyTimestamp", "pwdChangedTime", "pwdEndTime", "pwdFailureTime"} {
		if e.Has(a) {
			t.Errorf("%s written without its option", a)
		}
	}
	// Derived names, a derived home directory, duplicates in LDAP's sense.
	u = store.User{UserName: "carol", GivenName: "Carol", UIDNumber: 5,
		Emails: []string{"c@example.org", "C@Example.org", ""}, PhoneNumbers: []string{"+1 555-0100", "+15550100"}}
	e = UserToEntry(&u, nil, Options{})
	for attr, want := range map[string][]string{
		"cn": {"Carol"}, "sn": {"carol"}, "homeDirectory": {"/home/carol"}, "gidNumber": {"0"},
		"mail": {"c@example.org"}, "telephoneNumber": {"+1 555-0100"},
	} {
		if got := e.Strings(attr); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if e.DN != "uid=carol" {
		t.Errorf("DN without base = %q", e.DN)
	}
	u = store.User{UserName: "dave", DisplayName: "Dave D.", ID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"}
	e = UserToEntry(&u, nil, Options{Operational: true})
	if got := e.First("cn"); got != "Dave D." {
		t.Errorf("cn from display name = %q", got)
	}
	if got := e.First("entryUUID"); got != EntryUUID(u.ID) || CanonicalUUID(got) == "" {
		t.Errorf("derived entryUUID = %q", got)
	}
}

func TestUserFromEntryReading(t *testing.T) {
	e := parseEntry(t, "uid=alice,ou=users,dc=example,dc=org",
		"objectClass: inetOrgPerson",
		"userid: alice", // an alias
		"commonName: Alice Liddell",
		"cn: Alice",
		"surname: Liddell",
		"cn;lang-fr: Alice la Française", // options: another attribute
		"labeledURI: https://example.org/alice Alice's page",
		"2.5.4.12: Engineer", // title by OID
		"mail: alice@example.org",
		"MAIL: second@example.org",
		"memberOf: cn=admins,ou=groups,dc=example,dc=org",
		"entryUUID: 3F2C1A9E-5B7D-4C1E-9A2B-6D8E0F1A2B3C",
		"createTimestamp: 20261128204655.5+0130",
		"pwdEndTime: 20300101000000Z",
		"pwdAccountLockedTime: 20290101000000Z",
		"userPassword: {CLEARTEXT}hunter2",
	)
	imp, err := UserFromEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	u := imp.User
	if u.UserName != "alice" || u.FormattedName != "Alice Liddell" || u.FamilyName != "Liddell" || u.Title != "Engineer" {
		t.Errorf("names: %+v", u)
	}
	if u.ProfileURL != "https://example.org/alice" {
		t.Errorf("profile_url %q", u.ProfileURL)
	}
	if !slices.Equal(u.Emails, []string{"alice@example.org", "second@example.org"}) {
		t.Errorf("emails %q", u.Emails)
	}
	if u.ID != "3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c" {
		t.Errorf("id %q", u.ID)
	}
	if want := time.Date(2026, 11, 28, 19, 16, 55, 5e8, time.UTC); !u.Created.Equal(want) {
		t.Errorf("created %v, want %v", u.Created, want)
	}
	if want := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC); !u.LockDate.Equal(want) {
		t.Errorf("lock date %v, want the earlier %v", u.LockDate, want)
	}
	if len(u.Groups) != 0 {
		t.Errorf("groups imported from memberOf: %v", u.Groups)
	}
	if imp.Cleartext != "hunter2" || u.PasswordHash != "" {
		t.Errorf("cleartext %q, hash %q", imp.Cleartext, u.PasswordHash)
	}
	if !slices.Equal(imp.Warnings, []string{"several cn values: kept the first"}) {
		t.Errorf("warnings %q", imp.Warnings)
	}
}

func TestUserFromEntryPasswords(t *testing.T) {
	argon := argon2Hash(t, "pw")
	for _, tc := range []struct {
		name            string
		values          []string
		hash, cleartext string
		warnings        int
	}{
		{"SSHA", []string{sshaHash("x")}, sshaHash("x"), "", 0},
		{"ARGON2", []string{argon}, argon, "", 0},
		{"Cleartext", []string{"plain secret"}, "", "plain secret", 0},
		{"Several", []string{sshaHash("x"), "other"}, sshaHash("x"), "", 1},
		{"Empty", []string{""}, "", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"uid: u"}
			for _, v := range tc.values {
				lines = append(lines, "userPassword: "+v)
			}
			imp, err := UserFromEntry(parseEntry(t, "uid=u", lines...))
			if err != nil {
				t.Fatal(err)
			}
			if imp.User.PasswordHash != tc.hash || imp.Cleartext != tc.cleartext || len(imp.Warnings) != tc.warnings {
				t.Errorf("hash %q cleartext %q warnings %q", imp.User.PasswordHash, imp.Cleartext, imp.Warnings)
			}
			for _, w := range imp.Warnings {
				for _, v := range tc.values {
					if v != "" && strings.Contains(w, v) {
						t.Errorf("warning %q quotes a password", w)
					}
				}
			}
		})
	}
}

func TestUserLockedForever(t *testing.T) {
	imp, err := UserFromEntry(parseEntry(t, "uid=u", "uid: u", "pwdAccountLockedTime: 000001010000Z"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(0, 0).UTC(); !imp.User.LockDate.Equal(want) || !imp.User.Locked(time.Now()) {
		t.Errorf("lock date %v, want %v", imp.User.LockDate, want)
	}
}

func TestUserFromEntryErrors(t *testing.T) {
	const secret = "Sup3rSecretValue"
	for _, tc := range []struct {
		name  string
		lines []string
		attr  string
		is    error
	}{
		{"NoUID", []string{"cn: x"}, "uid", nil},
		{"EmptyUID", []string{"uid:"}, "uid", nil},
		{"TwoUIDs", []string{"uid: a", "uid: b"}, "uid", nil},
		{"BadUIDNumber", []string{"uid: a", "uidNumber: 12x"}, "uidNumber", nil},
		{"NegativeUIDNumber", []string{"uid: a", "uidNumber: -1"}, "uidNumber", nil},
		{"HugeGIDNumber", []string{"uid: a", "gidNumber: 4294967296"}, "gidNumber", nil},
		{"BadCreateTimestamp", []string{"uid: a", "createTimestamp: yesterday"}, "createTimestamp", nil},
		{"BadModifyTimestamp", []string{"uid: a", "modifyTimestamp: 20261328000000Z"}, "modifyTimestamp", nil},
		{"BadPwdFailureTime", []string{"uid: a", "pwdFailureTime: 2026"}, "pwdFailureTime", nil},
		{"BadLockedTime", []string{"uid: a", "pwdAccountLockedTime: 000001010000"}, "pwdAccountLockedTime", nil},
		{"UnsupportedScheme", []string{"uid: a", "userPassword: {PBKDF2}" + secret}, "userPassword", password.ErrUnsupportedScheme},
		{"UnknownScheme", []string{"uid: a", "userPassword: {FOO}" + secret}, "userPassword", password.ErrUnsupportedScheme},
		{"SecretInBraces", []string{"uid: a", "userPassword: {" + secret + "}"}, "userPassword", password.ErrUnsupportedScheme},
		{"MalformedHash", []string{"uid: a", "userPassword: {SSHA}" + secret + "!"}, "userPassword", password.ErrMalformedHash},
		{"MalformedCrypt", []string{"uid: a", "userPassword: {CRYPT}" + secret}, "userPassword", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UserFromEntry(parseEntry(t, "uid=a,"+testUsers, tc.lines...))
			var ae *AttributeError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an *AttributeError", err)
			}
			if ae.Attribute != tc.attr || !strings.Contains(err.Error(), tc.attr) {
				t.Errorf("error %q names %q, want %q", err, ae.Attribute, tc.attr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
			if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret)) {
				t.Errorf("error %q quotes the password", err)
			}
			if strings.Contains(strings.Join(tc.lines, "\n"), "{PBKDF2}") && !strings.Contains(err.Error(), "PBKDF2") {
				t.Errorf("error %q does not name a known scheme", err)
			}
		})
	}
}

// TestUserAttributesCoverModel fails when a field is added to store.User
// without deciding how it maps to LDAP.
func TestUserAttributesCoverModel(t *testing.T) {
	unmapped := []string{"has_photo", "last_otp_login", "hotp_counter", "one_time_password_emission_date"}
	mapped := map[string]bool{"password": true}
	for _, m := range UserAttributes {
		mapped[m.Model] = true
	}
	typ := reflect.TypeFor[store.User]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "-" || name == "" || mapped[name] || slices.Contains(unmapped, name) {
			continue
		}
		t.Errorf("store.User field %s (%s) has no LDAP attribute", typ.Field(i).Name, name)
	}
}
