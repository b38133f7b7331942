package ldapserver

import (
	"fmt"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/canaille-go/canaille/store/ldif"
)

func TestSortDbg(t *testing.T) {
	c := ldap.NewControlServerSideSortingWithSortKeys([]*ldap.SortKey{{AttributeType: "sn", MatchingRule: "caseIgnoreOrderingMatch"}})
	p := c.Encode()
	keys, err := ParseSortControl(p.Children[1].Data.Bytes())
	fmt.Println(keys, err)
	es := []*ldif.Entry{testEntry("uid=a", "uid", "a", "sn", "Zz02"), testEntry("uid=b", "uid", "b", "sn", "Zz01")}
	fmt.Println(SortEntries(es, keys), es[0].DN)
}
