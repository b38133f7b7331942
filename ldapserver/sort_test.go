package ldapserver

import (
	"errors"
	"slices"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store/ldif"
)

// sortValue encodes keys as go-ldap's client does.
func sortValue(keys ...*ldap.SortKey) []byte {
	return ldap.NewControlServerSideSortingWithSortKeys(keys).Encode().Children[1].Data.Bytes()
}

func TestParseSortControl(t *testing.T) {
	got, err := ParseSortControl(sortValue(&ldap.SortKey{AttributeType: "uidNumber"},
		&ldap.SortKey{AttributeType: "cn;lang-fr", MatchingRule: "caseIgnoreOrderingMatch", Reverse: true},
		&ldap.SortKey{AttributeType: "sn", Reverse: true}))
	want := []SortKey{{Attribute: "uidNumber"}, {Attribute: "cn;lang-fr", OrderingRule: "caseIgnoreOrderingMatch", Reverse: true},
		{Attribute: "sn", Reverse: true}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseSortControl = %+v, %v", got, err)
	}

	seq := func(kids ...*ber.Packet) *ber.Packet {
		p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		for _, k := range kids {
			p.AppendChild(k)
		}
		return p
	}
	str := func(class ber.Class, tag ber.Tag, s string) *ber.Packet {
		return ber.NewString(class, ber.TypePrimitive, tag, s, "")
	}
	attr := str(ber.ClassUniversal, ber.TagOctetString, "cn")
	rule := str(ber.ClassContext, 0, "caseIgnoreOrderingMatch")
	rev := ber.NewBoolean(ber.ClassContext, ber.TypePrimitive, 1, true, "")
	valid := seq(seq(attr, rule, rev)).Bytes()
	if keys, err := ParseSortControl(valid); err != nil || len(keys) != 1 || !keys[0].Reverse {
		t.Errorf("hand-made control: %+v, %v", keys, err)
	}
	for name, v := range map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("not BER"),
		"trailing":         append(slices.Clone(valid), 0),
		"truncated":        valid[:len(valid)-1],
		"no key":           seq().Bytes(),
		"not a sequence":   attr.Bytes(),
		"key not sequence": seq(attr).Bytes(),
		"empty key":        seq(seq()).Bytes(),
		"empty attribute":  seq(seq(str(ber.ClassUniversal, ber.TagOctetString, ""))).Bytes(),
		"attribute tag":    seq(seq(str(ber.ClassContext, 0, "cn"))).Bytes(),
		"order":            seq(seq(attr, rev, rule)).Bytes(),
		"twice":            seq(seq(attr, rule, rule)).Bytes(),
		"unknown field":    seq(seq(attr, str(ber.ClassContext, 2, "x"))).Bytes(),
		"long boolean":     seq(seq(attr, str(ber.ClassContext, 1, "ab"))).Bytes(),
		"huge length":      {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30},
	} {
		if keys, err := ParseSortControl(v); err == nil {
			t.Errorf("%s: ParseSortControl = %+v", name, keys)
		}
	}
}

func TestEncodeSortResult(t *testing.T) {
	for _, tc := range []struct {
		code int
		attr string
	}{{0, ""}, {SortInappropriateMatching, "cn"}, {SortNoSuchAttribute, "foo;x"}} {
		b := EncodeSortResult(tc.code, tc.attr)
		p, err := ber.DecodePacketErr(b)
		if err != nil || len(p.Bytes()) != len(b) {
			t.Fatalf("%v: %v", b, err)
		}
		if p.Children[0].Tag != ber.TagEnumerated || p.Children[0].Value.(int64) != int64(tc.code) {
			t.Errorf("code: %+v", p.Children[0])
		}
		if tc.attr == "" && len(p.Children) != 1 || tc.attr != "" && (len(p.Children) != 2 ||
			p.Children[1].ClassType != ber.ClassContext || p.Children[1].Tag != 0 || p.Children[1].Data.String() != tc.attr) {
			t.Errorf("attribute: %+v", p.Children)
		}
		c, err := ldap.NewControlServerSideSortingResult(p)
		if err != nil || int(c.Result) != tc.code {
			t.Errorf("go-ldap reads %+v, %v", c, err)
		}
	}
}

// sortedDNs sorts entries and returns their DNs' first RDN values.
func sortedDNs(t *testing.T, entries []*ldif.Entry, keys ...SortKey) string {
	t.Helper()
	es := slices.Clone(entries)
	if err := SortEntries(es, keys); err != nil {
		t.Fatalf("SortEntries(%+v): %v", keys, err)
	}
	var names []string
	for _, e := range es {
		names = append(names, strings.TrimPrefix(strings.SplitN(e.DN, ",", 2)[0], "uid="))
	}
	return strings.Join(names, " ")
}

func TestSortEntries(t *testing.T) {
	entries := []*ldif.Entry{
		mkEntry("uid=a", "uidNumber", "30", "cn", "Zed", "cn", "alpha", "sn", "b", "createTimestamp", "20250101000000Z"),
		mkEntry("uid=b", "cn", "Mid", "sn", "a", "uidNumber", "x"),
		mkEntry("uid=c", "uidNumber", "010", "cn", "beta", "sn", "a", "createTimestamp", "20240101000000+0100"),
		mkEntry("uid=d", "uidNumber", "9", "cn;lang-fr", "Aaa", "sn", "b", "createTimestamp", "20231231235959Z"),
		mkEntry("uid=e", "uidNumber", "-5", "cn", "Éclair", "sn", "B"),
	}
	for _, tc := range []struct {
		keys []SortKey
		want string
	}{
		{[]SortKey{{Attribute: "uidNumber"}}, "e d c a b"},
		{[]SortKey{{Attribute: "uidNumber", Reverse: true}}, "b a c d e"},
		{[]SortKey{{Attribute: "UIDNUMBER", OrderingRule: "2.5.13.15"}}, "e d c a b"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "caseIgnoreOrderingMatch"}}, "d a c b e"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "caseIgnoreOrderingMatch", Reverse: true}}, "e b c a d"},
		{[]SortKey{{Attribute: "cn;lang-fr", OrderingRule: "caseIgnoreOrderingMatch"}}, "d a b c e"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "caseExactOrderingMatch"}}, "d b a c e"},
		{[]SortKey{{Attribute: "createTimestamp"}}, "c d a b e"}, // c is 2023-12-31T23:00Z
		{[]SortKey{{Attribute: "sn", OrderingRule: "caseIgnoreOrderingMatch"}, {Attribute: "uidNumber", Reverse: true}}, "b c a d e"},
		{[]SortKey{{Attribute: "sn", OrderingRule: "caseIgnoreOrderingMatch"}}, "b c a d e"},
		{[]SortKey{{Attribute: "name", OrderingRule: "caseIgnoreOrderingMatch"}}, "b c d a e"}, // cn and sn
	} {
		if got := sortedDNs(t, entries, tc.keys...); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.keys, got, tc.want)
		}
	}
	for _, tc := range []struct {
		keys []SortKey
		code int
		attr string
	}{
		{[]SortKey{{Attribute: "cn"}}, SortInappropriateMatching, "cn"},
		{[]SortKey{{Attribute: "uidNumber"}, {Attribute: "foo"}}, SortNoSuchAttribute, "foo"},
		{[]SortKey{{Attribute: "cn;"}}, SortNoSuchAttribute, "cn;"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "fooMatch"}}, SortInappropriateMatching, "cn"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "caseIgnoreMatch"}}, SortInappropriateMatching, "cn"},
		{[]SortKey{{Attribute: "cn", OrderingRule: "integerOrderingMatch"}}, SortInappropriateMatching, "cn"},
		{[]SortKey{{Attribute: "userPassword", OrderingRule: "octetStringOrderingMatch"}}, SortUnwillingToPerform, "userPassword"},
		{[]SortKey{{Attribute: "uidNumber"}, {Attribute: "2.5.4.3", OrderingRule: "caseIgnoreOrderingMatch"}, {Attribute: "uidnumber", Reverse: true}}, SortUnwillingToPerform, "uidnumber"},
		{slices.Repeat([]SortKey{{Attribute: "uidNumber"}}, MaxSortKeys+1), SortAdminLimitExceeded, "uidNumber"},
	} {
		es := slices.Clone(entries)
		err := SortEntries(es, tc.keys)
		var se *SortError
		if !errors.As(err, &se) || se.Code != tc.code || se.Attribute != tc.attr || !strings.Contains(se.Error(), tc.attr) {
			t.Errorf("%+v: %v", tc.keys, err)
		}
		if !slices.Equal(es, entries) {
			t.Errorf("%+v: entries moved despite the error", tc.keys)
		}
	}
	// Stability: equal keys keep their order.
	if got := sortedDNs(t, entries, SortKey{Attribute: "gidNumber"}); got != "a b c d e" {
		t.Errorf("no entry has the attribute: %s", got)
	}
}

// TestSortCrossCheckOpenLDAP compares SortEntries with OpenLDAP's sssvlv
// overlay over the fixture's users.
func TestSortCrossCheckOpenLDAP(t *testing.T) {
	conn := startCrossSlapd(t)
	f, err := CompileFilter("(uid=*)")
	if err != nil {
		t.Fatal(err)
	}
	var users []*ldif.Entry
	for _, e := range crossEntries(t) {
		if f.Match(e) {
			users = append(users, e)
		}
	}
	for _, keys := range [][]*ldap.SortKey{
		{{AttributeType: "uidNumber"}},
		{{AttributeType: "uidNumber", Reverse: true}},
		{{AttributeType: "uidNumber", MatchingRule: "integerOrderingMatch"}},
		{{AttributeType: "cn", MatchingRule: "caseIgnoreOrderingMatch"}},
		{{AttributeType: "cn", MatchingRule: "caseIgnoreOrderingMatch", Reverse: true}},
		{{AttributeType: "sn", MatchingRule: "caseExactOrderingMatch"}},
		{{AttributeType: "createTimestamp"}, {AttributeType: "uidNumber", Reverse: true}},
		{{AttributeType: "modifyTimestamp", Reverse: true}},
		{{AttributeType: "entryUUID"}},
		{{AttributeType: "gidNumber"}, {AttributeType: "uid", MatchingRule: "caseIgnoreOrderingMatch"}},
		{{AttributeType: "mail", MatchingRule: "caseIgnoreOrderingMatch"}},
	} {
		ctl := ldap.NewControlString(ldap.ControlTypeServerSideSorting, true, string(sortValue(keys...)))
		res, err := conn.Search(ldap.NewSearchRequest(crossBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, "(uid=*)", []string{"1.1"}, []ldap.Control{ctl}))
		var sk []SortKey
		for _, k := range keys {
			sk = append(sk, SortKey{Attribute: k.AttributeType, OrderingRule: k.MatchingRule, Reverse: k.Reverse})
		}
		if err != nil {
			t.Errorf("%s: slapd: %v", sortKeysString(sk), err)
			continue
		}
		var want []string
		for _, e := range res.Entries {
			want = append(want, e.DN)
		}
		got := slices.Clone(users)
		if err := SortEntries(got, sk); err != nil {
			t.Errorf("%s: %v", sortKeysString(sk), err)
			continue
		}
		var gotDNs []string
		for _, e := range got {
			gotDNs = append(gotDNs, e.DN)
		}
		if !slices.Equal(canonicalOrder(t, want), canonicalOrder(t, gotDNs)) {
			t.Errorf("%s:\n  slapd %q\n  ours  %q", sortKeysString(sk), want, gotDNs)
		}
	}
	// Both refuse a key without an ordering rule. (OpenLDAP sorts cn with
	// integerOrderingMatch; SortEntries refuses a rule that does not apply,
	// as RFC 2891 section 1.1 says.)
	for _, k := range []*ldap.SortKey{{AttributeType: "cn"}, {AttributeType: "sn"}, {AttributeType: "description"}} {
		ctl := ldap.NewControlString(ldap.ControlTypeServerSideSorting, true, string(sortValue(k)))
		_, err := conn.Search(ldap.NewSearchRequest(crossBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, "(uid=*)", []string{"1.1"}, []ldap.Control{ctl}))
		var se *SortError
		ours := SortEntries(slices.Clone(users), []SortKey{{Attribute: k.AttributeType, OrderingRule: k.MatchingRule}})
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInappropriateMatching) || !errors.As(ours, &se) || se.Code != SortInappropriateMatching {
			t.Errorf("%s: slapd %v, ours %v", k.AttributeType, err, ours)
		}
	}
}

func sortKeysString(keys []SortKey) string {
	var parts []string
	for _, k := range keys {
		s := k.Attribute
		if k.OrderingRule != "" {
			s += ":" + k.OrderingRule
		}
		if k.Reverse {
			s = "-" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// canonicalOrder returns the canonical forms of DNs, in order.
func canonicalOrder(t *testing.T, dns []string) []string {
	t.Helper()
	out := make([]string, len(dns))
	for i, dn := range dns {
		out[i], _ = NormalizeValue("entryDN", []byte(dn))
	}
	return out
}
