package schemas

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store/ldif"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"20261128204655Z", utc(2026, 11, 28, 20, 46, 55, 0)},
		{"20261128204655.123456Z", utc(2026, 11, 28, 20, 46, 55, 123456000)},
		{"20261128204655,5Z", utc(2026, 11, 28, 20, 46, 55, 5e8)},
		{"20261128204655+0200", utc(2026, 11, 28, 18, 46, 55, 0)},
		{"20261128204655-0130", utc(2026, 11, 28, 22, 16, 55, 0)},
		{"20261128204655.25+01", utc(2026, 11, 28, 19, 46, 55, 25e7)},
		{"202611282046Z", utc(2026, 11, 28, 20, 46, 0, 0)},
		{"2026112820Z", utc(2026, 11, 28, 20, 0, 0, 0)},
		{"2026112820.5Z", utc(2026, 11, 28, 20, 30, 0, 0)},
		{"202611282046.5Z", utc(2026, 11, 28, 20, 46, 30, 0)},
		{"000001010000Z", utc(0, 1, 1, 0, 0, 0, 0)},
	} {
		got, err := ParseTime(tc.in)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "2026", "20261128204655", "20261128204655z", "20261128204655.Z",
		"20261328204655Z", "20260231120000Z", "20261128244655Z", "20261128206055Z", "20261128204655+2400",
		"20261128204655Z ", " 20261128204655Z", "2026112820465Z", "20261128204655+01:00", "+0261128204655Z"} {
		if got, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
		} else if in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("error %q quotes the value", err)
		}
	}
}

func TestFormatTime(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	if got := FormatTime(time.Date(2026, 11, 28, 21, 46, 55, 999, paris)); got != "20261128204655Z" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := FormatTime(time.Time{}); got != "" {
		t.Errorf("FormatTime(zero) = %q", got)
	}
	if got := formatTimeMicro(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)); got != "20260102030405.000006Z" {
		t.Errorf("formatTimeMicro = %q", got)
	}
}

func TestPostalAddress(t *testing.T) {
	for _, tc := range []struct{ model, ldap string }{
		{"1 rue de la Paix\n75002 Paris", "1 rue de la Paix$75002 Paris"},
		{"Costs $5\nC:\\dir", `Costs \245$C:\5Cdir`},
		{"a\n\nb\n", "a$$b$"},
		{`\24 is not a dollar`, `\5C24 is not a dollar`},
		{"", ""},
	} {
		if got := EncodePostalAddress(tc.model); got != tc.ldap {
			t.Errorf("EncodePostalAddress(%q) = %q, want %q", tc.model, got, tc.ldap)
		}
		if got := DecodePostalAddress(tc.ldap); got != tc.model {
			t.Errorf("DecodePostalAddress(%q) = %q, want %q", tc.ldap, got, tc.model)
		}
	}
	if got := EncodePostalAddress("a\r\nb\rc"); got != "a$b\rc" {
		t.Errorf("CRLF: %q", got)
	}
	if got := DecodePostalAddress(`a\5cb\2\x\`); got != `a\b\2\x\` {
		t.Errorf("lower-case and stray escapes: %q", got)
	}
}

func TestUUIDs(t *testing.T) {
	if got := CanonicalUUID("3F2C1A9E-5B7D-4C1E-9A2B-6D8E0F1A2B3C"); got != "3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c" {
		t.Errorf("CanonicalUUID = %q", got)
	}
	for _, bad := range []string{"", "3f2c1a9e5b7d4c1e9a2b6d8e0f1a2b3c", "{3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c}",
		"3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3g", "3f2c1a9e-5b7d-4c1e-9a2b+6d8e0f1a2b3c"} {
		if got := CanonicalUUID(bad); got != "" {
			t.Errorf("CanonicalUUID(%q) = %q", bad, got)
		}
	}
	a, b := EntryUUID("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), EntryUUID("ABCDEFGHIJKLMNOPQRSTUVWXYZ234568")
	if a == b || CanonicalUUID(a) != a || a[14] != '5' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("derived UUIDs %q %q", a, b)
	}
	if a != EntryUUID("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") {
		t.Error("EntryUUID is not stable")
	}
	if got := EntryUUID("3F2C1A9E-5B7D-4C1E-9A2B-6D8E0F1A2B3C"); got != "3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c" {
		t.Errorf("EntryUUID of a UUID = %q", got)
	}
	if EntryUUID("") != "" {
		t.Error("EntryUUID of an empty ID")
	}
}

func TestDNs(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{UserDN("alice", testUsers), "uid=alice,ou=users,dc=example,dc=org"},
		{UserDN(" a,b+c=\"d\"#", testUsers), `uid=\ a\,b\+c=\"d\"#,ou=users,dc=example,dc=org`},
		{UserDN("#élodie", ""), `uid=\#élodie`},
		{GroupDN("staff", testGroups), "cn=staff,ou=groups,dc=example,dc=org"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	u, g := Bases(testRoot)
	if u != testUsers || g != testGroups {
		t.Errorf("Bases = %q, %q", u, g)
	}
	for _, tc := range []struct{ in, want string }{
		{"UID=Alice, OU=Users,DC=Example,DC=Org", "uid=alice,ou=users,dc=example,dc=org"},
		{"userid=alice,organizationalUnitName=users,0.9.2342.19200300.100.1.25=example", "uid=alice,ou=users,dc=example"},
		{"cn=b+uid=a,dc=x", "cn=b+uid=a,dc=x"},
		{"uid=a+cn=b,dc=x", "cn=b+uid=a,dc=x"},
		{`cn=\C3\89quipe,dc=x`, "cn=équipe,dc=x"},
		{`cn=a\,b,dc=x`, `cn=a\,b,dc=x`},
		{"", ""},
	} {
		got, err := NormalizeDN(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeDN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"alice", "uid=a,", "=a", "uid=a,dc"} {
		if got, err := NormalizeDN(bad); err == nil {
			t.Errorf("NormalizeDN(%q) = %q, want an error", bad, got)
		}
	}
}

func TestBaseEntries(t *testing.T) {
	for _, tc := range []struct {
		root    string
		classes []string
		attrs   map[string]string
	}{
		{"dc=example,dc=org", []string{"top", "dcObject", "organization"}, map[string]string{"dc": "example", "o": "example"}},
		{"ou=people,o=corp", []string{"top", "organizationalUnit"}, map[string]string{"ou": "people"}},
		{"o=Corp\\, Inc.", []string{"top", "organization"}, map[string]string{"o": "Corp, Inc."}},
	} {
		es, err := BaseEntries(tc.root)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 3 || es[0].DN != tc.root || es[1].DN != "ou=users,"+tc.root || es[2].DN != "ou=groups,"+tc.root {
			t.Fatalf("BaseEntries(%q) DNs wrong: %v", tc.root, es)
		}
		if got := es[0].Strings("objectClass"); !slices.Equal(got, tc.classes) {
			t.Errorf("%s objectClass %v", tc.root, got)
		}
		for a, v := range tc.attrs {
			if got := es[0].First(a); got != v {
				t.Errorf("%s %s = %q, want %q", tc.root, a, got, v)
			}
		}
		if got := es[2].First("ou"); got != "groups" || Classify(es[2]) != Other {
			t.Errorf("ou=groups entry: %v", es[2])
		}
	}
	for _, bad := range []string{"", "c=FR", "dc=a+o=b,dc=c", "dc=a,"} {
		if _, err := BaseEntries(bad); err == nil {
			t.Errorf("BaseEntries(%q) accepted", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		classes []string
		want    Kind
	}{
		{[]string{"top", "inetOrgPerson"}, UserEntry},
		{[]string{"ACCOUNT", "posixAccount"}, UserEntry},
		{[]string{"person"}, UserEntry},
		{[]string{"groupOfNames"}, GroupEntry},
		{[]string{"top", "groupofuniquenames"}, GroupEntry},
		{[]string{"posixGroup"}, GroupEntry},
		{[]string{"groupOfMembers"}, GroupEntry},
		{[]string{"inetOrgPerson", "posixGroup"}, UserEntry},
		{[]string{"organizationalUnit"}, Other},
		{[]string{"dcObject", "organization"}, Other},
		{nil, Other},
	} {
		e := &ldif.Entry{DN: "x=y", Attributes: []ldif.Attribute{values("objectClass", tc.classes...)}}
		if got := Classify(e); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.classes, got, tc.want)
		}
	}
}

func TestAttributeTables(t *testing.T) {
	for _, tc := range []struct {
		table       AttributeTable
		attr, model string
	}{
		{UserAttributes, "cn", "formatted_name"},
		{UserAttributes, "COMMONNAME", "formatted_name"},
		{UserAttributes, "2.5.4.3", "formatted_name"},
		{UserAttributes, "telephonenumber", "phone_numbers"},
		{UserAttributes, "userPassword", "password"},
		{UserAttributes, "pwdAccountLockedTime", "lock_date"},
		{GroupAttributes, "cn", "display_name"},
		{GroupAttributes, "uniqueMember", "members"},
		{Attributes(GroupEntry), "memberUID", "members"},
	} {
		if got, ok := tc.table.LDAPToModel(tc.attr); !ok || got != tc.model {
			t.Errorf("LDAPToModel(%q) = %q, %v; want %q", tc.attr, got, ok, tc.model)
		}
	}
	if _, ok := UserAttributes.LDAPToModel("cn;lang-fr"); ok {
		t.Error("an attribute with options was mapped")
	}
	if Attributes(Other) != nil {
		t.Error("Attributes(Other) is not nil")
	}
	for _, tc := range []struct {
		table AttributeTable
		model string
		want  []string
	}{
		{UserAttributes, "Emails", []string{"mail"}},
		{UserAttributes, "lock_date", []string{"pwdEndTime", "pwdAccountLockedTime"}},
		{GroupAttributes, "members", []string{"member", "memberUid", "uniqueMember"}},
		{UserAttributes, "no_such_field", nil},
	} {
		if got := tc.table.ModelToLDAP(tc.model); !slices.Equal(got, tc.want) {
			t.Errorf("ModelToLDAP(%q) = %q, want %q", tc.model, got, tc.want)
		}
	}
	// Every model name is a JSON name of the store types, every LDAP name
	// unique in its table.
	for _, table := range []AttributeTable{UserAttributes, GroupAttributes} {
		seen := map[string]bool{}
		for _, m := range table {
			key := strings.ToLower(m.LDAP)
			if seen[key] || m.Model == "" || m.OID == "" {
				t.Errorf("bad map %+v", m)
			}
			seen[key] = true
		}
	}
}
