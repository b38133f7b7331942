package ldapserver

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// Server-side sorting of search results, RFC 2891.

// SortKey is one key of a server-side sort request.
type SortKey struct {
	// Attribute is the attribute description to sort on, as requested.
	Attribute string
	// OrderingRule is the matching rule to order with, by name or OID;
	// "" stands for the attribute type's ORDERING rule.
	OrderingRule string
	// Reverse sorts in descending order.
	Reverse bool
}

// MaxSortKeys is the number of keys SortEntries accepts; RFC 2891 only
// requires one.
const MaxSortKeys = 8

// The sortResult codes of RFC 2891 section 1.2 that SortEntries returns.
const (
	SortAdminLimitExceeded    = 11 // more than MaxSortKeys keys
	SortNoSuchAttribute       = 16 // unknown attribute type
	SortInappropriateMatching = 18 // no ordering rule, or one that is unknown or does not apply
	SortUnwillingToPerform    = 53 // an attribute twice, or userPassword
)

// SortError says why SortEntries cannot sort: Code is the sortResult code
// to return in the response control, with Attribute (as requested) as its
// attributeType.
type SortError struct {
	Code      int
	Attribute string
	Reason    string
}

// Error returns "cannot sort on <attribute>: <reason>".
func (e *SortError) Error() string {
	return fmt.Sprintf("cannot sort on %s: %s", e.Attribute, e.Reason)
}

var errSortControl = errors.New("malformed server-side sort control value")

// ParseSortControl decodes the value of a sort request control
// (1.2.840.113556.1.4.473), the raw BER bytes gldap gives in
// ControlString.ControlValue:
//
//	SortKeyList ::= SEQUENCE OF SEQUENCE {
//	        attributeType   AttributeDescription,
//	        orderingRule    [0] MatchingRuleId OPTIONAL,
//	        reverseOrder    [1] BOOLEAN DEFAULT FALSE }
//
// It returns an error for a value that does not decode as that, or that
// holds no key; the server answers protocolError. Whether the keys can be
// used is for SortEntries to say.
func ParseSortControl(value []byte) ([]SortKey, error) {
	p, err := ber.ReadPacket(bytes.NewReader(value))
	if err != nil || p.Data == nil || len(value) != len(p.Bytes()) {
		return nil, errSortControl
	}
	if p.ClassType != ber.ClassUniversal || p.TagType != ber.TypeConstructed || p.Tag != ber.TagSequence || len(p.Children) == 0 {
		return nil, errSortControl
	}
	keys := make([]SortKey, 0, len(p.Children))
	for _, seq := range p.Children {
		if seq.ClassType != ber.ClassUniversal || seq.TagType != ber.TypeConstructed || seq.Tag != ber.TagSequence || len(seq.Children) == 0 {
			return nil, errSortControl
		}
		attr := seq.Children[0]
		if attr.ClassType != ber.ClassUniversal || attr.TagType != ber.TypePrimitive || attr.Tag != ber.TagOctetString || attr.Data.Len() == 0 {
			return nil, errSortControl
		}
		k := SortKey{Attribute: attr.Data.String()}
		next := 0
		for _, f := range seq.Children[1:] {
			if f.ClassType != ber.ClassContext || f.TagType != ber.TypePrimitive || int(f.Tag) < next || f.Tag > 1 {
				return nil, errSortControl
			}
			next = int(f.Tag) + 1
			switch f.Tag {
			case 0:
				k.OrderingRule = f.Data.String()
			case 1:
				if f.Data.Len() != 1 {
					return nil, errSortControl
				}
				k.Reverse = f.Data.Bytes()[0] != 0
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// EncodeSortResult builds the value of a sort response control
// (1.2.840.113556.1.4.474): the sortResult code and, when attr is not "",
// the attributeType that caused the failure.
func EncodeSortResult(code int, attr string) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "SortResult")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), "sortResult"))
	if attr != "" {
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, attr, "attributeType"))
	}
	return p.Bytes()
}

// sortKeyPlan is a sort key resolved against the registry.
type sortKeyPlan struct {
	sel     fltItem // selects the attribute's values (type, subtypes, options)
	rule    mrRule
	reverse bool
}

// SortEntries sorts entries in place by keys, the first key the most
// significant, as RFC 2891 and OpenLDAP do: each key compares with its
// ordering rule (SortKey.OrderingRule, else the attribute type's ORDERING
// rule) the least value an entry holds of the attribute (its subtypes
// included); values invalid for the rule are ignored. An entry without a
// value sorts after those with one, so first in reverse order, since
// Reverse reverses the whole order of the key. Entries that compare equal
// keep their order.
//
// It returns a *SortError, and leaves entries as they were, for more than
// MaxSortKeys keys, an unknown attribute type, a type without an ordering
// rule (cn, uid and most strings have none, as in OpenLDAP), an unknown
// ordering rule or one that does not apply to the type, an attribute named
// twice, or userPassword (whose order would reveal something of the
// hashes).
func SortEntries(entries []*ldif.Entry, keys []SortKey) error {
	plans, err := sortPlans(keys)
	if err != nil {
		return err
	}
	type row struct {
		e    *ldif.Entry
		keys [][]byte // normal forms of the least values; nil when absent
	}
	rows := make([]row, len(entries))
	for i, e := range entries {
		rows[i] = row{e: e, keys: make([][]byte, len(plans))}
		for j := range plans {
			rows[i].keys[j] = plans[j].least(e)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		for j, p := range plans {
			ka, kb := a.keys[j], b.keys[j]
			c := 0
			switch {
			case ka == nil && kb == nil:
			case ka == nil:
				c = 1
			case kb == nil:
				c = -1
			default:
				c = mrCompare(p.rule, ka, kb)
			}
			if p.reverse {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	for i := range rows {
		entries[i] = rows[i].e
	}
	return nil
}

// sortPlans resolves the keys.
func sortPlans(keys []SortKey) ([]sortKeyPlan, error) {
	if len(keys) > MaxSortKeys {
		return nil, &SortError{Code: SortAdminLimitExceeded, Attribute: keys[MaxSortKeys].Attribute,
			Reason: fmt.Sprintf("more than %d sort keys", MaxSortKeys)}
	}
	plans := make([]sortKeyPlan, 0, len(keys))
	var seen []*schemas.AttributeType
	for _, k := range keys {
		fail := func(code int, reason string) error {
			return &SortError{Code: code, Attribute: k.Attribute, Reason: reason}
		}
		typ, opts, _ := strings.Cut(k.Attribute, ";")
		at, ok := schemas.LookupAttribute(typ)
		if !ok || !fltValidDescription(k.Attribute) {
			return nil, fail(SortNoSuchAttribute, "unknown attribute type")
		}
		if at.Name() == "userPassword" {
			return nil, fail(SortUnwillingToPerform, "userPassword cannot be sorted on")
		}
		if slices.Contains(seen, at) {
			return nil, fail(SortUnwillingToPerform, "the attribute is given twice")
		}
		seen = append(seen, at)
		name := at.Ordering
		if k.OrderingRule != "" {
			r, ok := schemas.LookupMatchingRule(k.OrderingRule)
			if !ok || r.Kind != schemas.OrderingRule || !r.AppliesTo(at) {
				return nil, fail(SortInappropriateMatching, "unknown ordering rule, or one that does not apply to the attribute")
			}
			name = r.Name
		}
		if name == "" {
			return nil, fail(SortInappropriateMatching, "the attribute has no ordering rule")
		}
		p := sortKeyPlan{rule: mrRules[name], reverse: k.Reverse}
		p.sel.names = fltTypeNames(at)
		if opts != "" {
			p.sel.options = strings.Split(strings.ToLower(opts), ";")
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// least returns the normal form of the least value of e the key sorts on,
// or nil when e has none that is valid for the rule.
func (p *sortKeyPlan) least(e *ldif.Entry) []byte {
	var best []byte
	for i := range e.Attributes {
		a := &e.Attributes[i]
		if !p.sel.selects(a.Name) {
			continue
		}
		for _, v := range a.Values {
			n, ok := mrNormalize(make([]byte, 0, len(v)+8), p.rule, v)
			if ok && (best == nil || mrCompare(p.rule, n, best) < 0) {
				best = n
			}
		}
	}
	return best
}
